#!/usr/bin/env bash
# `make chaos`: the fault-injection harness of infra/chaos against the real `ream serve`.
# ROUNDS (default 20) rounds of generated jobs in every input format, with SIGKILL/SIGTERM at
# chosen moments and restarts on the same data directory; each job is compared with a clean
# reference run. Extra arguments go to the harness (see `go run ./infra/chaos/cmd/chaos -h`),
# e.g. scripts/chaos.sh -seed 1234 -rounds 1 -v to replay one round.
# Exit status: 0 nothing found, 1 failures found (data directories kept under $TMPDIR), 2 the
# harness could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./infra/chaos/cmd/chaos -rounds "${ROUNDS:-20}" "$@"
