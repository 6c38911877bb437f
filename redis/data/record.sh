#!/usr/bin/env bash
# Re-records the Redis test captures in this directory (see README.md).
# Run as root, from anywhere:  sudo redis/data/record.sh [NAME...]
# (NAME: pipelined big errors multi binary inline resp3; default all.)
# Starts redis-server on 127.0.0.1:6379 (no persistence), records one scenario per capture with
# tcpdump on lo while client.py drives the server over a raw socket, checks each capture (and
# records it again, up to 3 times, if it is not what the scenario intends), then stops the server.
set -euo pipefail

DATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=6379

if [[ $EUID -ne 0 ]]; then
    echo "record.sh: must run as root (tcpdump captures on lo; the big scenario changes lo's MTU)" >&2
    exit 1
fi
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v python3 >/dev/null || missing+=(python3)
if [[ ${#missing[@]} -gt 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

TMP=$(mktemp -d)
tcpdump_pid=
lo_saved=
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; fi
    restore_lo
    if [[ -f $TMP/redis.pid ]]; then kill "$(cat "$TMP/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

start_server() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        echo "record.sh: something already listens on port $PORT; stop it first" >&2
        exit 1
    fi
    redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --daemonize yes \
        --dir "$TMP" --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log"
    for _ in $(seq 50); do
        if redis-cli -p "$PORT" ping >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "record.sh: redis-server did not start:" >&2
    cat "$TMP/redis.log" >&2
    exit 1
}

# Loopback segments of at most 1448 bytes: MTU 1500, and one segment per buffer (else the kernel
# hands tcpdump 64 KiB GSO super-packets whatever the MTU). Restored on exit, whatever happens.
LO_MTU=$(cat /sys/class/net/lo/mtu)
LO_GSO_SEGS=$(ip -d link show lo | sed -n 's/.*gso_max_segs \([0-9]*\).*/\1/p')
small_segments_on_lo() {
    lo_saved=1
    ip link set lo mtu 1500
    ip link set lo gso_max_segs 1
}
restore_lo() {
    if [[ -n $lo_saved ]]; then
        ip link set lo mtu "$LO_MTU"
        ip link set lo gso_max_segs "$LO_GSO_SEGS"
        lo_saved=
    fi
}

# start_capture / stop_capture
source "$DATA_DIR/../../scripts/capture-lib.sh"

client() { python3 "$DATA_DIR/client.py" "$1" >>"$TMP/client.out"; }

# count FILE FILTER: number of packets in FILE matching the pcap FILTER.
count() { tcpdump -r "$1" -nn "$2" 2>/dev/null | wc -l; }
PAYLOAD='(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0'
REQS="dst port $PORT and $PAYLOAD"
RESPS="src port $PORT and $PAYLOAD"
text() { tcpdump -r "$1" -nn -A 2>/dev/null; }

# expect WHAT ACTUAL WANTED
expect() {
    if [[ $2 -ne $3 ]]; then
        echo "  check failed: $1 is $2, expected $3" >&2
        return 1
    fi
}
at_least() {
    if [[ $2 -lt $3 ]]; then
        echo "  check failed: $1 is $2, expected at least $3" >&2
        return 1
    fi
}

# Checks: each verifies one capture holds what its scenario intends.
check_pipelined() {
    expect "connections" "$(count "$1" 'tcp[tcpflags] == tcp-syn')" 1 &&
        expect "request segments" "$(count "$1" "$REQS")" 1
}
check_big() {
    at_least "reply segments" "$(count "$1" "$RESPS")" 140 &&
        at_least "request segments" "$(count "$1" "$REQS")" 6 &&
        expect "segments over 1448 bytes" "$(tcpdump -r "$1" -nn -q 2>/dev/null | awk '$NF > 1448' | wc -l)" 0
}
check_errors() {
    expect "request segments" "$(count "$1" "$REQS")" 5 &&
        expect "WRONGTYPE replies" "$(text "$1" | grep -c -- '-WRONGTYPE')" 1 &&
        expect "unknown command replies" "$(text "$1" | grep -c -- "-ERR unknown command 'FOOBAR'")" 1
}
check_multi() {
    expect "request segments" "$(count "$1" "$REQS")" 6 &&
        expect "QUEUED replies" "$(text "$1" | grep -c '+QUEUED')" 4
}
check_binary() { expect "request segments" "$(count "$1" "$REQS")" 2; }
check_inline() {
    expect "request segments" "$(count "$1" "$REQS")" 3 &&
        expect "PONG replies" "$(text "$1" | grep -c '+PONG')" 1
}
check_resp3() { expect "request segments" "$(count "$1" "$REQS")" 8; }

# record NAME: records NAME.pcap with client.py NAME until check_NAME accepts it.
record() {
    local name=$1 file=$TMP/$1.pcap attempt
    for attempt in 1 2 3; do
        echo "== $name.pcap (attempt $attempt)"
        redis-cli -p "$PORT" flushall >/dev/null # the same replies on every run
        if [[ $name == big ]]; then small_segments_on_lo; fi
        start_capture "$file"
        client "$name"
        stop_capture
        restore_lo
        if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
            echo "  tcpdump dropped packets: $(grep dropped "$TMP/tcpdump.err")" >&2
        elif "check_$name" "$file"; then
            mv "$file" "$DATA_DIR/$name.pcap"
            return 0
        fi
        tcpdump -r "$file" -nn -q >&2 2>/dev/null
    done
    echo "record.sh: could not record $name.pcap" >&2
    exit 1
}

ALL=(pipelined big errors multi binary inline resp3)
if [[ $# -eq 0 ]]; then set -- "${ALL[@]}"; fi
for name in "$@"; do
    if [[ " ${ALL[*]} " != *" $name "* ]]; then
        echo "record.sh: unknown capture '$name' (known: ${ALL[*]})" >&2
        exit 2
    fi
done

start_server
for name in "$@"; do
    record "$name"
done
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
ls -l "$DATA_DIR"/*.pcap
