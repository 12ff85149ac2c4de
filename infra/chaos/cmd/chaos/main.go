// Command chaos runs the fault-injection harness of infra/chaos against `ream serve`:
//
//	go run ./infra/chaos/cmd/chaos -rounds 200
//
// It prints each failure (round, seed, job, data directory kept for post-mortem), then the
// summary line, and exits with status 1 if anything was found (2 if the harness could not run).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ream-dev/ream/infra/chaos"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func main() {
	var o chaos.Options
	flag.IntVar(&o.Rounds, "rounds", envInt("ROUNDS", 20), "rounds to run ($ROUNDS)")
	flag.Int64Var(&o.Seed, "seed", int64(envInt("CHAOS_SEED", 0)), "first round's seed; round i uses seed+i (default: the time)")
	flag.IntVar(&o.MinDocs, "min-docs", 1000, "fewest documents per line job")
	flag.IntVar(&o.MaxDocs, "max-docs", envInt("CHAOS_MAX_DOCS", 20000), "most documents per line job")
	flag.IntVar(&o.MaxFiles, "max-files", 600, "most documents per ONE_DOC_PER_FILE job")
	flag.IntVar(&o.MaxJobs, "max-jobs", 3, "most jobs per round")
	flag.IntVar(&o.MaxKills, "max-kills", 4, "most kills per round")
	flag.DurationVar(&o.RoundTimeout, "round-timeout", 90*time.Second, "a job not terminal this long after the round's last restart is stuck")
	flag.BoolVar(&o.Keep, "keep", true, "keep the data directories of failed rounds")
	flag.BoolVar(&o.Short, "short", false, "aim each round's first kill at a targeted moment in turn (the CI form's plan)")
	flag.BoolVar(&o.NoClaimWait, "no-claim-wait", false, "do not wait out the service's 2-minute notification claim after a kill")
	flag.StringVar(&o.Bin, "bin", "", "prebuilt ream binary (default: go build ./cmd/ream)")
	flag.StringVar(&o.WorkDir, "workdir", "", "where to make the run's temporary directory (default: $TMPDIR)")
	triggers := flag.String("triggers", "", "comma-separated kill moments to use (upload,landed,delay,progress,stage,training,inflight,tail,finalize,terminal,webhook,burst); default all")
	quiet := flag.Bool("q", false, "no progress lines")
	flag.BoolVar(&o.Verbose, "v", false, "log every kill and every job's statuses")
	flag.Parse()
	if *triggers != "" {
		o.Triggers = strings.Split(*triggers, ",")
	}
	if !*quiet {
		o.Logf = func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := chaos.Run(ctx, o)
	if rep != nil {
		rep.Write(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if !rep.OK() {
		os.Exit(1)
	}
}
