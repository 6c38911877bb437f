#!/usr/bin/env bash
# Events per second of each output of `beat`, on one generated Redis
# workload (SIZE=20M by default), next to the console output to /dev/null
# (analysis and serialization alone) in the same run:
#
#   benches/outputs.sh          # SIZE=20M SEED=1 RUNS=3
#
# console (-o /dev/null), file (rotated, 100 MiB files), redis (a
# redis-server started here, in memory), elasticsearch (examples/bulk_sink:
# a local endpoint answering every item 201, so this is the beat's side
# only), kafka (examples/mock_kafka: librdkafka's mock broker, in memory).
# Needs redis-server, librdkafka-dev and pkg-config (apt-get install).
# Each output runs RUNS times, the fastest kept; every run must deliver
# every event (acknowledged = published) or the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-20M}
SEED=${SEED:-1}
RUNS=${RUNS:-3}

cargo build --release -q -p benches --bin gen-workload
cargo build --release -q -p beat --features kafka --bin beat --examples
mkdir -p target/workload
capture="target/workload/redis-$SIZE.pcap"
[ -f "$capture" ] || target/release/gen-workload --protocol redis --size "$SIZE" --seed "$SEED" --out "$capture"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >/dev/null &
pids+=($!)
mkfifo "$work/kafka.in"
target/release/examples/mock_kafka <"$work/kafka.in" >"$work/kafka.out" &
pids+=($!)
exec 9>"$work/kafka.in" # keeps the mock cluster up until the script ends
target/release/examples/bulk_sink >"$work/es.out" &
pids+=($!)
for _ in $(seq 100); do
  [ -s "$work/kafka.out" ] && [ -s "$work/es.out" ] && redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
kafka=$(head -1 "$work/kafka.out")
es_port=$(head -1 "$work/es.out")

queue='queue: {mem: {events: 16384, flush: {min_events: 2048}}}'
printf '%s\n' "$queue" >"$work/console.yml"
printf '%s\noutput:\n  file: {path: %s/events.ndjson, rotate_every_kb: 102400, number_of_files: 1024}\n' "$queue" "$work" >"$work/file.yml"
printf '%s\noutput:\n  redis: {hosts: ["127.0.0.1:%s"], key: bench, bulk_max_size: 2048}\n' "$queue" "$redis_port" >"$work/redis.yml"
printf '%s\noutput:\n  elasticsearch: {hosts: ["127.0.0.1:%s"], bulk_max_size: 1600, worker: 1}\n' "$queue" "$es_port" >"$work/elasticsearch.yml"
printf '%s\noutput:\n  kafka: {hosts: ["%s"], topic: beat, required_acks: 1, compression: none}\n' "$queue" "$kafka" >"$work/kafka.yml"

echo "capture: $capture ($(du -h "$capture" | cut -f1)), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %10s %10s %14s %10s\n' output events seconds events/s "vs console"
baseline=""
for output in console file redis elasticsearch kafka; do
  best=""
  for _ in $(seq "$RUNS"); do
    extra=()
    [ "$output" = console ] && extra=(-o /dev/null)
    # As root the beat would run as nobody, who cannot write $work.
    [ "$(id -u)" = 0 ] && extra+=(--user root)
    redis-cli -p "$redis_port" del bench >/dev/null
    rm -f "$work"/events.ndjson*
    start=$(date +%s.%N)
    target/release/beat -c "$work/$output.yml" -r "$capture" --protocols redis --no-progress "${extra[@]}" >/dev/null 2>"$work/err"
    end=$(date +%s.%N)
    read -r published acknowledged < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try: c = json.loads(line)
    except ValueError: continue
    print(c["output"]["published"], c["output"]["acknowledged"]); break
' "$work/err")
    if [ "$published" != "$acknowledged" ]; then
      echo "$output: $acknowledged of $published events acknowledged" >&2
      cat "$work/err" >&2
      exit 1
    fi
    secs=$(python3 -c "print(f'{$end - $start:.3f}')")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $secs < $best else 1)"; then best=$secs; fi
  done
  rate=$(python3 -c "print(int($acknowledged / $best))")
  [ -z "$baseline" ] && baseline=$rate
  ratio=$(python3 -c "print(f'{$rate / $baseline:.2f}')")
  printf '%-14s %10s %10s %14s %10s\n' "$output" "$acknowledged" "$best" "$rate" "$ratio"
done
