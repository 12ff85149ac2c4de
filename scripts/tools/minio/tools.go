//go:build tools

// Package tools pins the MinIO server version used by scripts/emulators.sh.
// It is never compiled; it only keeps github.com/minio/minio in go.mod/go.sum.
package tools

import (
	_ "github.com/minio/minio"
)
