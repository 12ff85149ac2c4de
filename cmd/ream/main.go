// Command ream is the user's binary: `ream serve` runs the whole service on one machine (the
// embedded local stack), and the other commands are clients of the HTTP API.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `ream: asynchronous batch analysis of document collections

Usage:
  ream serve    [--data DIR] [--addr HOST:PORT] [--config FILE]   run the local stack
  ream submit   PATH --analyses A,B --format F [--name N] [--language L] [--token T] [--redact MODE] [--wait] [--out DIR]
  ream describe JOB
  ream list     [--status S] [--name N] [--max N] [--before T] [--after T]
  ream stop     JOB
  ream wait     JOB
  ream results  JOB [--out DIR]

Client commands talk to $REAM_ENDPOINT (default http://127.0.0.1:8080) with the API key in
$REAM_API_KEY (default local-dev-key, the local stack's default key).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Print(usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest)
	case "submit":
		return submit(ctx, rest)
	case "describe":
		return describe(ctx, rest)
	case "list":
		return list(ctx, rest)
	case "stop":
		return stopJob(ctx, rest)
	case "wait":
		return waitJob(ctx, rest)
	case "results":
		return results(ctx, rest)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}
