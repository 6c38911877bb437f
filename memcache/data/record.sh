#!/usr/bin/env bash
# Re-records the memcache test captures in this directory (see README.md).
# Run as root, from anywhere:  sudo memcache/data/record.sh [NAME...]   (default: all)
# Starts memcached on 127.0.0.1:11211 (TCP only) and records one scenario per capture with
# tcpdump on lo, driving the server with client.py (raw sockets, text and binary protocols by
# hand). Each capture is checked; one that does not hold what it should is recorded again (up to
# 3 times).
set -euo pipefail

DATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=11211

if [[ $EUID -ne 0 ]]; then
    echo "record.sh: must run as root (tcpdump captures on lo)" >&2
    exit 1
fi
missing=()
command -v memcached >/dev/null || missing+=(memcached)
command -v tcpdump >/dev/null || missing+=(tcpdump)
if ((${#missing[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

TMP=$(mktemp -d)
server_pid=
tcpdump_pid=
lo_mtu=
lo_gso_segs=
restore_lo() {
    if [[ -n $lo_mtu ]]; then ip link set lo mtu "$lo_mtu" gso_max_segs "$lo_gso_segs" || true; fi
    lo_mtu=
}
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; fi
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    restore_lo
    rm -rf "$TMP"
}
trap cleanup EXIT

start_server() {
    memcached -u root -l 127.0.0.1 -p "$PORT" -U 0 2>>"$TMP/server.log" &
    server_pid=$!
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "record.sh: memcached did not start" >&2
    exit 1
}

# start_capture / stop_capture
source "$DATA_DIR/../../scripts/capture-lib.sh"

client() { python3 "$DATA_DIR/client.py" "$1" 2>>"$TMP/client.log"; }

# The large value must span many segments: lo's MTU is 64 KiB, so lower it to 1500 for that
# scenario, and stop GSO from handing tcpdump 64 KiB super-segments anyway (gso_max_segs 1).
# Both are restored at once, and by the exit trap if the scenario fails.
with_small_mtu() {
    lo_gso_segs=$(ip -d link show lo | sed -n 's/.*gso_max_segs \([0-9]*\).*/\1/p')
    lo_mtu=$(cat /sys/class/net/lo/mtu)
    ip link set lo mtu 1500 gso_max_segs 1
    "$@"
    restore_lo
}

# count FILE FILTER: number of packets in FILE matching the pcap FILTER.
count() { tcpdump -r "$1" -nn "$2" 2>/dev/null | wc -l; }
PAYLOAD='(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0'
REQS="dst port $PORT and $PAYLOAD"
RESPS="src port $PORT and $PAYLOAD"
# has FILE TEXT...: every TEXT appears in the capture's payload (tcpdump -A).
has() {
    local file=$1 text
    shift
    for text in "$@"; do
        if ! tcpdump -r "$file" -nn -A 2>/dev/null | grep -F -- "$text" >/dev/null; then
            echo "  check failed: '$text' not in $file" >&2
            return 1
        fi
    done
}
# hex FILE HEX...: every HEX string (no spaces) appears in some packet's payload (tcpdump -X).
hex() {
    local file=$1 dump pattern
    shift
    dump=$(tcpdump -r "$file" -nn -x 2>/dev/null | sed -n 's/^\s*0x[0-9a-f]*:\s*//p' | tr -d ' \n')
    for pattern in "$@"; do
        if [[ $dump != *"$pattern"* ]]; then
            echo "  check failed: bytes $pattern not in $file" >&2
            return 1
        fi
    done
}
at_least() {
    if (($2 < $3)); then
        echo "  check failed: $1 is $2, expected at least $3" >&2
        return 1
    fi
}

# Checks: each verifies one capture holds what its scenario intends.
check_text_set_get() { has "$1" 'set greeting 0 0 11' 'STORED' 'VALUE greeting 0 11'; }
check_text_multi_get() { has "$1" 'get a b missing c' 'VALUE a 0 1' 'VALUE c 0 3' 'END'; }
check_text_binary_safe() { has "$1" 'set tricky 0 0 51' 'VALUE tricky 0 51' 'VALUE fake 0 3'; }
check_text_large_value() {
    has "$1" 'set big 0 0 200000' 'VALUE big 0 200000' &&
        at_least "request segments" "$(count "$1" "$REQS")" 100 &&
        at_least "response segments" "$(count "$1" "$RESPS")" 100
}
check_text_noreply() { has "$1" 'set nr1 0 0 3 noreply' 'delete nr1 noreply' 'VALUE nr2 5 3'; }
check_text_counters() { has "$1" 'incr n 5' 'decr n 20' 'incr nothing 1' 'NOT_FOUND'; }
check_text_delete() { has "$1" 'delete doomed' 'DELETED' 'NOT_FOUND' 'get doomed'; }
check_text_stats() { has "$1" 'STAT pid' 'STAT version' 'END'; }
check_text_unknown_command() { has "$1" 'bogus command' 'ERROR' 'CLIENT_ERROR bad command line format' 'VERSION'; }
check_text_quit() {
    has "$1" 'version' 'quit' &&
        at_least "server FINs" "$(count "$1" "src port $PORT and tcp[tcpflags] & tcp-fin != 0")" 1
}
# Binary checks look for the response headers: magic 81, opcode, ..., status.
check_bin_set_get() { hex "$1" '8101000000000000' '8100000004000000' '810c000804000000' '8107000000000000'; }
check_bin_quiet_multi_get() { hex "$1" '80110002' '800d000200000000000000020000000300000000000000006b31' '810d000204000000' '810a000000000000'; }
check_bin_counters() { hex "$1" '8105000000000000000000080000000100' '8106000000000000'; }
check_bin_delete() { hex "$1" '8104000000000000' '8104000000000001' '810c000600000001'; }
check_bin_stats() { hex "$1" '8110000300000000' '81100000000000000000000000000009'; }
check_bin_error() { hex "$1" '8102000000000002' '8105000000000006' '8150000000000081'; }

# record NAME: records NAME.pcap with client.py NAME until check_NAME accepts it.
record() {
    local name=$1 file=$TMP/$1.pcap attempt
    for attempt in 1 2 3; do
        echo "== $name.pcap (attempt $attempt)"
        start_capture "$file"
        if [[ $name == text_large_value ]]; then
            with_small_mtu client "$name"
        else
            client "$name"
        fi
        stop_capture
        if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
            echo "  tcpdump dropped packets: $(grep dropped "$TMP/tcpdump.err")" >&2
        elif "check_$name" "$file"; then
            mv "$file" "$DATA_DIR/$name.pcap"
            return 0
        fi
    done
    echo "record.sh: could not record $name.pcap" >&2
    exit 1
}

ALL=(text_set_get text_multi_get text_binary_safe text_large_value text_noreply text_counters
    text_delete text_stats text_unknown_command text_quit
    bin_set_get bin_quiet_multi_get bin_counters bin_delete bin_stats bin_error)
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
ls -l "$DATA_DIR"/*.pcap
