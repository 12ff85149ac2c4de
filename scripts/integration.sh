#!/usr/bin/env bash
# `make test-integration`: the AWS adapters, the Lambda bootstraps and the end-to-end pipeline
# against local emulators (MinIO for S3, DynamoDB Local, fauxqs for SQS and SNS). Installs and
# starts the emulators (scripts/emulators.sh), runs the tests, and stops the emulators whatever
# happens.
set -euo pipefail
cd "$(dirname "$0")/.."

# MinIO posts bucket notifications to this webhook; the end-to-end test listens on it.
export REAM_MINIO_WEBHOOK="${REAM_MINIO_WEBHOOK:-http://127.0.0.1:19998/minio}"

scripts/emulators.sh install
trap 'scripts/emulators.sh stop' EXIT
scripts/emulators.sh start
eval "$(scripts/emulators.sh env)"

go test -count=1 ./shared/aws/... ./functions/...
