package loglevel

import (
	"log/slog"
	"testing"
)

func TestParse(t *testing.T) {
	for v, want := range map[string]slog.Level{"debug": slog.LevelDebug, " INFO ": slog.LevelInfo, "Warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError} {
		if got, ok := Parse(v); !ok || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "verbose", "4", "warn ing"} {
		if _, ok := Parse(v); ok {
			t.Errorf("Parse(%q) took it", v)
		}
	}
}
