#!/usr/bin/env bash
# `make test-integration`: the AWS adapters, the Lambda bootstraps and the end-to-end pipeline
# against local emulators (MinIO for S3, DynamoDB Local, fauxqs for SQS and SNS). Installs and
# starts the emulators (scripts/emulators.sh), runs the tests, and stops the emulators whatever
# happens.
set -euo pipefail
cd "$(dirname "$0")/.."

# MinIO posts bucket notifications to this webhook; the end-to-end test listens on it.
export REAM_MINIO_WEBHOOK="${REAM_MINIO_WEBHOOK:-http://127.0.0.1:19998/minio}"

# One run at a time per set of emulators: a second run with the same REAM_EMULATOR_STATE took the
# first's emulators as its own (start leaves running ones alone), and whichever ended first
# stopped them under the other's tests. The lock is beside the state directory (stop deletes that)
# and is released when this script exits, however it ends: the emulators are started with the
# lock's descriptor closed (9>&-), so that they, which outlive a killed script, do not hold it.
state=$(scripts/emulators.sh state)
state=${state%/} # a trailing / would put the lock inside the state directory, which stop deletes
# The state directory's parent may not exist yet (start makes the directory with mkdir -p).
mkdir -p -- "$(dirname -- "$state")"
command -v flock >/dev/null 2>&1 || { echo "integration: error: 'flock' not found in PATH (apt-get install util-linux)" >&2; exit 1; }
exec 9>>"$state.lock"
if ! flock -n 9; then
  echo "integration: error: another make test-integration is using the emulators of REAM_EMULATOR_STATE=$state ($state.lock is locked): wait for it to end, or give this run its own REAM_EMULATOR_STATE, REAM_MINIO_PORT, REAM_MINIO_CONSOLE_PORT, REAM_DYNAMODB_PORT, REAM_FAUXQS_PORT and REAM_MINIO_WEBHOOK (scripts/README.md)" >&2
  exit 1
fi

scripts/emulators.sh install 9>&-
trap 'scripts/emulators.sh stop 9>&-' EXIT
scripts/emulators.sh start 9>&-
eval "$(scripts/emulators.sh env)"

go test -count=1 ./shared/aws/... ./functions/...
