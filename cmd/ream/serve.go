package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/internal/loglevel"
)

// envData names the variable that gives the local stack's data directory when --data does not,
// and envConfig the one that names its config file when --config does not: `ream serve`'s and
// `ream keys`'s.
const (
	envData   = "REAM_DATA"
	envConfig = "REAM_CONFIG"
)

// serve runs the local stack until interrupted.
func serve(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fset.String("config", os.Getenv(envConfig), "JSON config file (see README)")
	data := fset.String("data", os.Getenv(envData), "data directory (default: $REAM_DATA, else the config's dataDir, else "+local.DefaultDataDir+")")
	addr := fset.String("addr", os.Getenv("REAM_ADDR"), "listen address (default: $REAM_ADDR, else the config's addr, else "+local.DefaultAddr+")")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments (got %q)", pos)
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
	// A hang-up (the terminal serve runs in closed, an SSH session lost) is a clean stop too, as
	// Ctrl-C and SIGTERM are (main's context): it killed the process outright, as kill -9 does,
	// so the running shards came back only after visibilityTimeout, their delivery counted
	// towards maxReceiveCount. Not under nohup (the signal ignored), which Notify would undo.
	if !signal.Ignored(syscall.SIGHUP) {
		var stopHangUp context.CancelFunc
		ctx, stopHangUp = signal.NotifyContext(ctx, syscall.SIGHUP)
		defer stopHangUp()
	}
	stack, err := local.Start(ctx, cfg, local.Options{Log: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "ream: serving on %s (Ctrl-C to stop)\n", stack.URL)
	<-ctx.Done()
	// A second Ctrl-C (or SIGTERM) ends the process at once instead of waiting out the clean
	// stop (up to 10 s for requests in flight; found from outside: it was ignored). That is a
	// crash as kill -9 is, which loses nothing: what was running is delivered again after
	// visibilityTimeout.
	again, stopAgain := stopSignals()
	defer stopAgain()
	fmt.Fprintln(os.Stderr, "ream: stopping (Ctrl-C again to stop at once)")
	closed := make(chan error, 1)
	go func() { closed <- stack.Close() }()
	select {
	case err := <-closed:
		return err
	case <-again:
		return errors.New("stopped at once by a second signal, without the clean stop: the shards that were running are delivered again after visibilityTimeout")
	}
}

// stopSignals delivers the signals that, once the clean stop has begun, end the process at
// once (a variable so that tests can send one).
var stopSignals = func() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	if !signal.Ignored(syscall.SIGHUP) {
		signal.Notify(ch, syscall.SIGHUP)
	}
	return ch, func() { signal.Stop(ch) }
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
