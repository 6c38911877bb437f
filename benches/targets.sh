#!/usr/bin/env bash
# The throughput and scale targets of the protocol and scale issues, measured
# in one run (see BENCHMARKS.md), for a quiet machine:
#
#   benches/targets.sh
#
# 1. ndjson transactions/s of small messages on one core, per protocol
#    (target: at least 500,000/s), Redis beside them as the reference;
# 2. echo with 1,500, 10,000 and 60,000 connections open at once: each mode's
#    time over the floor's (target at 60,000: beat at most 3.0x, peak RSS at
#    most 64 MB = 61.0 MiB, every transaction published);
# 3. `--workers 2` against one worker on the same files (target: ~2x on two
#    cores; the 200 MB workload of the earlier rounds' figures, and 60,000
#    connections), median wall time of RUNS alternated runs.
#
# Environment: SIZE (50M), RUNS (5). Workloads are generated under
# target/workload/ when missing (deterministic, seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-50M}
RUNS=${RUNS:-5}
OUT=target/workload
BIN=target/release

step() { printf '\n==> %s\n' "$*"; }

step "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -q -p echo -p benches

workload() { # file, then gen-workload's options
  local file="$OUT/$1"
  shift
  if [ ! -f "$file" ] || [ ! -f "$file.json" ]; then
    "$BIN/gen-workload" "$@" --seed 1 --out "$file" >&2
  fi
  echo "$file"
}

step "1. ndjson of small messages, one core (bench-pipeline --runs $RUNS)"
for protocol in redis http pgsql mysql; do
  file=$(workload "$protocol-$SIZE.pcap" --protocol "$protocol" --size "$SIZE")
  echo "-- $protocol"
  "$BIN/bench-pipeline" --runs "$RUNS" --idle-connections 0 "$file" | sed -n '/^mode/,$p'
done

step "2. connections open at once (echo, 60M)"
for n in 1500 10000 60000; do
  file=$(workload "echo-c$n.pcap" --size 60M --connections "$n")
  echo "-- $n connections"
  "$BIN/bench-pipeline" --runs "$RUNS" --idle-connections 10000 "$file" | sed -n '/^mode/,$p'
done

step "3. --workers 2 against 1 (echo-beat -o /dev/null, median of $RUNS, alternated)"
for file in "$(workload "echo-200M.pcap" --size 200M)" "$OUT/echo-c60000.pcap"; do
  one=() two=()
  for _ in $(seq "$RUNS"); do
    for w in 1 2; do
      start=$(date +%s.%N)
      "$BIN/echo-beat" -r "$file" -o /dev/null --no-counters --workers "$w"
      t=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
      if [ "$w" = 1 ]; then one+=("$t"); else two+=("$t"); fi
    done
  done
  median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
  m1=$(median "${one[@]}")
  m2=$(median "${two[@]}")
  awk -v f="$file" -v a="$m1" -v b="$m2" \
    'BEGIN { printf "%s: 1 worker %.3f s, 2 workers %.3f s: %.2fx\n", f, a, b, a / b }'
done
