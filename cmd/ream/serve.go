package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/internal/loglevel"
)

// serve runs the local stack until interrupted.
func serve(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fset.String("config", os.Getenv("REAM_CONFIG"), "JSON config file (see README)")
	data := fset.String("data", os.Getenv("REAM_DATA"), "data directory (default .ream-data)")
	addr := fset.String("addr", os.Getenv("REAM_ADDR"), "listen address (default 127.0.0.1:8080)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments (got %q)", fset.Args())
	}
	cfg, err := local.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	level, err := logLevel(os.Getenv(loglevel.EnvVar))
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	stack, err := local.Start(ctx, cfg, local.Options{Log: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "ream: serving on %s (Ctrl-C to stop)\n", stack.URL)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "ream: stopping")
	return stack.Close()
}

// logLevel is the level REAM_LOG_LEVEL names (warn when unset); another value is an error
// naming the ones it may be (found from outside: "verbose" fell back to warn silently).
func logLevel(v string) (slog.Level, error) {
	if strings.TrimSpace(v) == "" {
		return slog.LevelWarn, nil
	}
	if l, ok := loglevel.Parse(v); ok {
		return l, nil
	}
	return 0, fmt.Errorf("%s %q: use %s (warn is the default)", loglevel.EnvVar, v, loglevel.Names)
}
