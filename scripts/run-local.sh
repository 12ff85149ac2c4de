#!/usr/bin/env bash
# `make run`: start the local stack, run the bundled sample collection through the HTTP API with a
# presigned upload, wait for the completion notification, print a summary and where the results
# are, then keep serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

export REAM_ADDR="${REAM_ADDR:-127.0.0.1:8080}"
# The endpoint the script and the CLI call: REAM_ADDR's host, or the loopback address when it
# names every interface (":8080", "0.0.0.0:8080", "[::]:8080"), which no URL can name.
if [ -z "${REAM_ENDPOINT:-}" ]; then
  host="${REAM_ADDR%:*}"
  case "$host" in
  "" | 0.0.0.0) host=127.0.0.1 ;;
  "[::]") host="[::1]" ;;
  esac
  REAM_ENDPOINT="http://$host:${REAM_ADDR##*:}"
fi
export REAM_ENDPOINT
export REAM_API_KEY="${REAM_API_KEY:-local-dev-key}"
data="${REAM_DATA:-.ream-data}"
sample="${REAM_SAMPLE:-testdata/sample/reviews.txt}"

# Something that already answers on the address (another ream serve, typically a make run left
# running in another terminal) would answer the health check below while this script's own
# server fails to start, and would get the sample job: refuse to go on instead.
if curl -s -m 2 -o /dev/null "$REAM_ENDPOINT/v1/health" 2>/dev/null; then
  echo "something already answers on $REAM_ENDPOINT (another ream serve, such as a make run in another terminal?): stop it, or start this one on another address, e.g. REAM_ADDR=127.0.0.1:18080 make run" >&2
  exit 1
fi

# The server runs in a process group of its own (set -m), so that a Ctrl-C at the terminal, which
# signals the whole foreground group, reaches it once, as the SIGTERM of stop_server below: had it
# the terminal's SIGINT too, that SIGTERM would be a second signal, which ends ream serve at once
# instead of stopping it cleanly.
set -m
bin/ream serve --data "$data" --addr "$REAM_ADDR" &
serve=$!
set +m
serving=0 # 1 once the sample ran and the script only keeps the server up
stop_server() {
  kill -TERM "$serve" 2>/dev/null || true
  wait "$serve" 2>/dev/null || true
}
# Ctrl-C (SIGINT) or SIGTERM: stop the server cleanly (SIGTERM hands running shards back at
# once). While serving, that is how `make run` is meant to end: exit 0, so make reports no error.
on_signal() {
  trap - EXIT INT TERM
  echo
  echo "stopping the local stack"
  stop_server
  if [ "$serving" = 1 ]; then exit 0; fi
  exit 130
}
trap stop_server EXIT
trap on_signal INT TERM

# Wait for the server to answer, as long as it runs, up to 600 tries (a minute or more). A slow
# start is waited for: ream serve took 5 s to answer on one busy core, and after the 100 tries this
# loop once made (10 s) the script went on to submit to a server that was still starting, and
# failed with "no server answers". A server that never answers is an error that says so.
tries=0
until curl -fsS -m 2 "$REAM_ENDPOINT/v1/health" >/dev/null 2>&1; do
  if ! kill -0 $serve 2>/dev/null; then echo "ream serve exited; see the log above" >&2; exit 1; fi
  tries=$((tries + 1))
  if [ "$tries" = 50 ]; then echo "waiting for ream serve to answer on $REAM_ENDPOINT ..."; fi
  if [ "$tries" -ge 600 ]; then
    echo "ream serve (pid $serve) has not answered $REAM_ENDPOINT/v1/health in $tries tries (a minute or more); is REAM_ENDPOINT ($REAM_ENDPOINT) the address it serves on, REAM_ADDR ($REAM_ADDR)?" >&2
    exit 1
  fi
  sleep 0.1
done

out="$data/results/sample-$(date +%Y%m%d-%H%M%S)"
echo "== submitting $sample (LANGUAGE + SENTIMENT) through the API with a presigned upload"
bin/ream submit "$sample" --analyses LANGUAGE,SENTIMENT --format ONE_DOC_PER_LINE --name sample --wait --out "$out"
echo
echo "== first result lines ($out/output):"
head -n 5 "$out/output"
echo
# From here a Ctrl-C is how the script is meant to end (exit 0): set before the lines that say
# so, since a signal the moment "Press Ctrl-C" is printed found it still 0 and exited 130.
serving=1
echo "The local stack keeps serving on $REAM_ENDPOINT (API key: $REAM_API_KEY). Try:"
if [ "$REAM_ENDPOINT" != "http://127.0.0.1:8080" ]; then
  echo "  export REAM_ENDPOINT=$REAM_ENDPOINT   # in another shell: the CLI's default is http://127.0.0.1:8080"
fi
echo "  bin/ream list"
echo "  bin/ream submit FILE --analyses LANGUAGE,SENTIMENT --wait --out results/"
echo "Press Ctrl-C to stop."
# The server ending on its own (not by Ctrl-C) is an error; wait returns its status.
set +e
wait "$serve"
status=$?
set -e
trap - EXIT
if [ "$status" = 0 ]; then
  # It stopped cleanly: Ctrl-C reached it before this script's trap ran.
  echo
  echo "stopping the local stack"
  exit 0
fi
echo "ream serve exited with status $status" >&2
exit "$status"
