// Command ream is the user's binary: `ream serve` runs the whole service on one machine (the
// embedded local stack), and the other commands are clients of the HTTP API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/shared/client"
)

const usage = `ream: asynchronous batch analysis of document collections

Usage:
  ream serve    [--data DIR] [--addr HOST:PORT] [--config FILE]   run the local stack
  ream submit   PATH|s3://… [--analyses A,B] [--format F] [--name N] [--job-tag T] [--language L] [--token T] [--redact MODE]
                [--mask-char C] [--pii-types T,U] [--topic T] [--model ID] [--topics K] [--seed S] [--wait] [--out DIR]
  ream describe JOB
  ream list     [--status S] [--name N] [--max N] [--before T] [--after T] [--json]
  ream stop     JOB
  ream delete   JOB                 delete a finished job and its data now (its input if uploaded)
  ream wait     JOB
  ream results  JOB [--out DIR]
  ream errors   JOB [--code C] [--analysis A] [--max N]   the job's error records as JSON lines
  ream retry    JOB [--codes C,D] [--name N] [--token T] [--wait] [--out DIR]
                re-run the documents that failed with those codes as a child job

Coding (records {"recordId","occp_text","tasks_text"} coded to a topic's classification):
  ream code     FILE [--topic T] [--model ID] [--wait] [--out DIR]   start a batch-code operation, upload FILE
  ream models   [--topic T]                                          the topic's models and their held-out accuracy
  ream train    FILE [--topic T] [--name N] [--wait]                 train a new model version from labelled records
                                                                     {"code","occp_text","tasks_text"}
  --topic defaults to occupation (SOC 2010); --model to the topic's latest model.

Drop rules (every object created in a rule's folder starts a job from the rule's template):
  ream drop-rules put    NAME [--analyses A,B] [--format F] [--name PREFIX] [--job-tag T] [--language L] [--redact MODE] [--mask-char C]
                         [--pii-types T,U] [--topic T] [--model ID] [--topics K] [--seed S] [--retention HOURS]
  ream drop-rules list
  ream drop-rules get    NAME
  ream drop-rules delete NAME
  ream drop-rules upload NAME PATH [--as FILE]                     upload into the rule's folder (starts its job)
  ream drop-rules close  NAME BATCH                                close a ONE_DOC_PER_FILE batch (writes BATCH/_SUCCESS: starts its job)

Access keys of the Comprehend-compatible API (POST /, SigV4 service comprehend), on the store:
  ream keys issue --tenant T | list [--tenant T] | revoke ID   with --bucket B [--kms-key K] (AWS) or --data DIR (local)

Client commands talk to $REAM_ENDPOINT (default http://127.0.0.1:8080) with the API key in
$REAM_API_KEY (default local-dev-key, the local stack's default key). With $REAM_CLIENT_ID and
$REAM_CLIENT_SECRET set they get an OAuth access token instead (client-credentials grant at
$REAM_TOKEN_URL, default $REAM_ENDPOINT/oauth2/token; locally local-coding-client /
local-coding-secret) and send it in place of the key.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if status := exitStatus(run(ctx, os.Args[1:])); status != 0 {
		os.Exit(status)
	}
}

// The exit statuses a script can tell apart (README, The CLI). Any other error (a refusal by
// the service, a server or network failure, a file that cannot be read, an interrupted wait)
// is exitError. They were all 1 (found from outside: a CI script could not tell a mistyped
// flag, a server that was down and a job that FAILED apart, to retry only the second).
const (
	exitError = 1
	exitUsage = 2 // a mistake in the command line (usageError), as the flag package's own exit status
	exitJob   = 3 // the job or operation waited for ended without its work done (jobEndedError)
)

// usageError is a mistake in the command line: an unknown command or flag, a bad flag value,
// a missing or extra argument. Nothing was sent.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usagef is a usageError with a message formatted as fmt.Errorf's.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// jobEndedError says that the job (or coding operation) a command waited for ended FAILED,
// TIMED_OUT or STOPPED (an operation: failed or timed_out): it finished, but its work was not
// done.
type jobEndedError struct{ error }

func (e jobEndedError) Unwrap() error { return e.error }

// exitStatus prints run's error on standard error, the one place it is printed (parse keeps
// the flag package from printing a flag mistake too), and returns the process's exit status:
// exitUsage for a usageError, exitJob for a jobEndedError, exitError for any other error, 0 for
// none or for -h.
func exitStatus(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0 // -h: the command printed its flags; asking for help is not a failure
	}
	fmt.Fprintln(os.Stderr, "ream:", err)
	if errors.As(err, new(*client.UnreachableError)) {
		// What to do, in one place for every command (the client says that no server answers).
		fmt.Fprintf(os.Stderr, "ream: is the server running (`ream serve` starts the local stack), and is REAM_ENDPOINT (default http://%s) its URL?\n", local.DefaultAddr)
	}
	if ae := (*client.APIError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound && endpointHasV1() {
		// (noticed in the error-message review: REAM_ENDPOINT=http://…/v1 answered only
		// "no route GET /v1/v1/jobs")
		fmt.Fprintf(os.Stderr, "ream: REAM_ENDPOINT ends in /v1, which every command adds itself: give the server's URL without it, such as http://%s\n", local.DefaultAddr)
	}
	switch {
	case errors.As(err, new(usageError)):
		return exitUsage
	case errors.As(err, new(jobEndedError)):
		return exitJob
	}
	return exitError
}

// endpointHasV1 reports whether REAM_ENDPOINT's path ends in the API's version segment, which
// the client puts before every route itself.
func endpointHasV1() bool {
	u, err := url.Parse(os.Getenv("REAM_ENDPOINT"))
	return err == nil && strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v1")
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		// No command is a usage mistake (a script that lost its arguments must not pass):
		// the usage goes to stderr and the exit status is exitUsage.
		fmt.Fprint(os.Stderr, usage)
		return usagef("no command given (ream help lists them)")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	if f, ok := commands[cmd]; ok {
		if slices.ContainsFunc(rest, isHelpFlag) {
			// The command's lines of the usage (its first and those continuing it), then
			// (commands with flags) its flags.
			in := false
			for _, l := range strings.Split(usage, "\n") {
				t := strings.TrimSpace(l)
				switch {
				case strings.HasPrefix(t, "ream "+cmd+" ") || t == "ream "+cmd:
					in = true
				case in && t != "" && !strings.HasPrefix(t, "ream ") && strings.HasPrefix(l, "    "):
				default:
					in = false
				}
				if in {
					fmt.Println(l)
				}
			}
			if !flaggedCommands[cmd] && (len(rest) == 0 || !slices.Contains(flaggedSubcommands[cmd], rest[0])) {
				return nil // JOB-only commands and command groups: never take "-h" for an argument
			}
		}
		return f(ctx, rest)
	}
	// The usage first, the message last, as for every usage error (found from outside: the
	// message came first and the whole usage after it).
	fmt.Fprint(os.Stderr, usage)
	return usagef("unknown command %q (ream help lists them)", cmd)
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// flaggedCommands parse flags with a flag.FlagSet, which prints them for -h.
var flaggedCommands = map[string]bool{
	"serve": true, "submit": true, "list": true, "results": true, "errors": true, "retry": true,
	"code": true, "models": true, "train": true,
}

// flaggedSubcommands are the subcommands of command groups that parse flags (found from
// outside: "keys issue -h" and "drop-rules put -h" printed the synopsis without the flags).
var flaggedSubcommands = map[string][]string{
	"keys":       {"issue", "list", "revoke"},
	"drop-rules": {"put", "upload", "close"},
}

// commands are the subcommands by name.
var commands = map[string]func(context.Context, []string) error{
	"serve":    serve,
	"submit":   submit,
	"describe": describe,
	"list":     list,
	"stop":     stopJob,
	"delete":   deleteJob,
	"wait":     waitJob,
	"results":  results,
	"errors":   errorsCmd,
	"retry":    retryCmd,
	"keys":     keysCmd,
	"code":     code,
	"models":   models,
	"train":    train,
}
