package coding

import (
	"bytes"
	_ "embed"
	"sync"
)

// The shipped model: SOC 2010 minor groups, trained by ./internal/traincoding on the train
// split of the ONS coding index titles (see split.go), calibrated on the calibration split.
//
//go:embed models/soc2010.bin
var defaultModelBytes []byte

var defaultModel = sync.OnceValues(func() (*Model, error) {
	return Load(bytes.NewReader(defaultModelBytes))
})

// Default returns the shipped SOC 2010 model, decoded once and shared (safe for concurrent
// use; do not call SetRegistryInfo on it).
func Default() (*Model, error) { return defaultModel() }

// DefaultModelSize is the size in bytes of the shipped model file.
func DefaultModelSize() int { return len(DefaultModelFile()) }

// DefaultModelFile is the shipped model file as embedded (shared: do not modify it).
func DefaultModelFile() []byte { return defaultModelBytes }
