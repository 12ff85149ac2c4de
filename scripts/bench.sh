#!/usr/bin/env bash
# `make bench`: end-to-end throughput of the local stack on 100,000 one-line documents with
# LANGUAGE+SENTIMENT, the same analysers' raw throughput on the same machine in the same run,
# a TOPICS job's time per stage and peak heap (REAM_BENCH_TOPICS_DOCS, default 100,000 reviews),
# and the per-package micro-benchmarks (readers, archive writer, analysers).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
ratio() { # $1: benchmark regexp; prints both figures and their ratio
  go test -run '^$' -bench "$1" -benchtime 1x ./infra/local/ 2>&1 | tee "$out" | grep -E 'end-to-end|raw analysers|FAIL'
  e2e=$(grep -oE 'end-to-end: .* = [0-9]+' "$out" | grep -oE '[0-9]+$' | tail -1)
  raw=$(grep -oE 'raw analysers: .* = [0-9]+' "$out" | grep -oE '[0-9]+$' | tail -1)
  if [ -n "$e2e" ] && [ -n "$raw" ]; then
    awk -v e="$e2e" -v r="$raw" 'BEGIN { printf "ratio end-to-end / raw: %.2f\n", e / r }'
  fi
}
echo "== end to end vs raw analysers: ${REAM_BENCH_DOCS:-100000} one-line documents, LANGUAGE+SENTIMENT"
ratio 'BenchmarkEndToEnd$|BenchmarkAnalysersRaw$'
echo
echo "== end to end vs raw analysers: ${REAM_BENCH_LONG_DOCS:-20000} one-KB documents, ENTITIES+KEY_PHRASES"
ratio 'BenchmarkEndToEndLong$|BenchmarkAnalysersRawLong$'
echo
echo "== finalize: concatenating the shards' members into a 10 MB and a 1 GB output.tar.gz"
go test -run '^$' -bench 'BenchmarkComposeFinalize' -benchtime 1x ./shared/local/ 2>&1 | grep -E 'finalize|FAIL'
if [ -n "${REAM_TEST_S3_ENDPOINT:-}" ]; then
  REAM_BENCH_COMPOSE=1 go test -count=1 -v -run TestComposeFinalizeFigures ./shared/aws/ 2>&1 | grep -E 'finalize \(|FAIL'
else
  echo "(S3 figures: run with the emulators' environment, e.g. eval \"\$(scripts/emulators.sh env)\" after scripts/emulators.sh start s3)"
fi
echo
echo "== many small files: 1,000 and 10,000 one-line documents as one file, as line files, as one-document files (documents/s)"
go test -run '^$' -bench 'BenchmarkManyFileLineInput' -benchtime 1x ./infra/local/ 2>&1 | grep -E 'many-file|FAIL'
echo
echo "== TOPICS: ${REAM_BENCH_TOPICS_DOCS:-100000} synthetic one-line reviews, K=20, through the local stack (time per stage, peak heap)"
go test -run '^$' -bench 'BenchmarkTopics' -benchtime 1x -timeout 30m ./infra/local/ 2>&1 | grep -E 'topics:|stages:|FAIL'
echo
echo "== micro-benchmarks: a smoke run of two iterations each, so their rates include setup and are"
echo "   not the analysers' speed (make analysers measures that, per core; its figures are the README's)"
go test -run '^$' -bench . -benchmem -benchtime 2x ./shared/input/ ./shared/output/ ./shared/analysis/language/ ./shared/analysis/sentiment/ ./shared/analysis/entities/ ./shared/analysis/keyphrases/ ./shared/analysis/pii/ 2>&1 | grep -E 'Benchmark|ok|FAIL'
