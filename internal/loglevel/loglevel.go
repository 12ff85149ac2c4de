// Package loglevel is the one reader of REAM_LOG_LEVEL, for the local stack (ream serve) and the
// Lambda functions alike; each chooses its own default.
package loglevel

import (
	"log/slog"
	"strings"
)

// EnvVar is the environment variable that sets the log level.
const EnvVar = "REAM_LOG_LEVEL"

// Names is what Parse takes, for error messages.
const Names = "debug, info, warn or error"

// Parse reads a level name (debug, info, warn or warning, error; any case, surrounding blanks
// ignored). ok is false for anything else, and for an empty v (the caller's default).
func Parse(v string) (level slog.Level, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}
