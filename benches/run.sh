#!/usr/bin/env bash
# The whole benchmark suite in one command (see BENCHMARKS.md):
#
#   benches/run.sh
#
# Builds in release, generates the workloads under target/workload/ if they
# are missing, runs bench-pipeline (floor, engine, ndjson, beat, and tshark
# side by side) on the echo file and the floor on the Redis file, then the
# criterion framing micro-benchmark. Figures are only meaningful as ratios to
# the floor of the same run: this machine is shared and noisy.
#
# Environment: SIZE (default 200M), SEED (1), RUNS (3), TSHARK=0 to skip
# tshark, BIG=1 to also check peak RSS on a 2 GB file (engine modes only).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-200M}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
OUT=target/workload
BIN=target/release

step() { printf '\n==> %s\n' "$*"; }

step "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores: $(uname -sr)"
step "cargo build --release -p echo -p http -p benches"
cargo build --release -p echo -p http -p benches

workload() { # protocol size
  local file="$OUT/$1-$2.pcap"
  if [ ! -f "$file" ] || [ ! -f "$file.json" ]; then
    step "generating $file" >&2
    "$BIN/gen-workload" --protocol "$1" --size "$2" --seed "$SEED" --out "$file" >&2
  fi
  echo "$file"
}
ECHO_FILE=$(workload echo "$SIZE")
REDIS_FILE=$(workload redis "$SIZE")
HTTP_FILE=$(workload http "$SIZE")

tshark_flag=()
if [ "${TSHARK:-1}" != 0 ]; then
  if ! command -v tshark >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing tshark (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y tshark >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y tshark >/dev/null 2>&1; } ||
      echo "could not install tshark"
  fi
  if command -v tshark >/dev/null; then
    tshark_flag=(--tshark)
  else
    echo "tshark not available: the side-by-side is skipped"
  fi
fi

step "bench-pipeline $ECHO_FILE (${RUNS} runs, fastest shown)"
"$BIN/bench-pipeline" "$ECHO_FILE" --runs "$RUNS" "${tshark_flag[@]}" --json "$OUT/results-echo.json"

step "bench-pipeline $REDIS_FILE"
"$BIN/bench-pipeline" "$REDIS_FILE" --runs "$RUNS" --json "$OUT/results-redis.json"

step "bench-pipeline $HTTP_FILE"
"$BIN/bench-pipeline" "$HTTP_FILE" --runs "$RUNS" --json "$OUT/results-http.json"

if [ "${BIG:-0}" = 1 ]; then
  BIG_FILE=$(workload echo 2G)
  step "bench-pipeline $BIG_FILE (peak RSS on 2 GB)"
  "$BIN/bench-pipeline" "$BIG_FILE" --runs 1 --json "$OUT/results-echo-2G.json"
fi

export CRITERION_HOME="$PWD/target/criterion"
step "cargo bench -p benches --bench framing"
cargo bench -p benches --bench framing
mean() { # criterion estimate of framing/$1, nanoseconds
  local f="$CRITERION_HOME/framing/$1/new/estimates.json"
  if command -v jq >/dev/null; then jq '.mean.point_estimate' "$f"
  else python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mean"]["point_estimate"])' "$f"; fi
}
if derived=$(mean derived) && memchr=$(mean memchr); then
  awk -v d="$derived" -v m="$memchr" \
    'BEGIN { printf "framing: derived / hand-written memchr throughput = %.3f (target >= 0.8)\n", m / d }'
fi
# The same two loops run alternately (fastest of 400 each): steadier than the
# two separate criterion measurements when other work shares the machine.
step "framing, interleaved (cargo run --release -p benches --example framing_ratio)"
cargo run --quiet --release -p benches --example framing_ratio
