package main

import (
	"log/slog"
	"strings"
	"testing"
)

// TestLogLevel: REAM_LOG_LEVEL takes debug, info, warn (or warning, as the Lambdas do) and error
// in any case, warn when unset,
// and anything else is an error naming the choices (found from outside: "verbose" was ignored).
func TestLogLevel(t *testing.T) {
	for v, want := range map[string]slog.Level{"": slog.LevelWarn, "debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := logLevel(v); err != nil || got != want {
			t.Errorf("logLevel(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"verbose", "warn ing", "2"} {
		if _, err := logLevel(v); err == nil || !strings.Contains(err.Error(), "use debug, info, warn") {
			t.Errorf("logLevel(%q): %v; want an error naming the levels", v, err)
		}
	}
}
