#!/usr/bin/env bash
# Re-records the echo protocol test captures in this directory (see README.md).
# Run as root, from anywhere:  sudo echo/data/record.sh [NAME...]
# (NAME: plain errors pipelined split multi concurrent unanswered partial reset; default all.)
# Builds echo-server and echo-client, starts the server on 127.0.0.1:3030 and records one scenario
# per capture with tcpdump on lo. Each capture is checked; a scenario that does not produce what it
# should is recorded again (up to 3 times).
set -euo pipefail

DATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DATA_DIR/../.." && pwd)
PORT=3030
ADDR=127.0.0.1:$PORT

if [[ $EUID -ne 0 ]]; then
    echo "record.sh: must run as root (tcpdump captures on lo)" >&2
    exit 1
fi
if ! command -v tcpdump >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump
fi

(cd "$ROOT" && cargo build --release -p echo --bins)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
SERVER=$BIN/echo-server
CLIENT=$BIN/echo-client

TMP=$(mktemp -d)
server_pid=
tcpdump_pid=
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; fi
    if [[ -n $server_pid ]]; then
        kill -CONT "$server_pid" 2>/dev/null || true
        kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

start_server() {
    "$SERVER" --listen "$ADDR" 2>>"$TMP/server.log" &
    server_pid=$!
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "record.sh: echo-server did not start" >&2
    exit 1
}

# start_capture / stop_capture
source "$DATA_DIR/../../scripts/capture-lib.sh"

client() { "$CLIENT" --connect "$ADDR" "$@" >>"$TMP/client.out"; }

# Scenarios: each runs the traffic of one capture (the capture is running).
scenario_plain() { client '>hello' '>world' '>echo me'; }
scenario_errors() { client '>ok' 'hello' '>fine'; }
scenario_pipelined() {
    local lines=() i
    for i in $(seq 50); do lines+=(">req $i"); done
    client --pipeline "${lines[@]}"
}
scenario_split() { client --split-at 4 '>split one' '>split two'; }
scenario_multi() { client --pipeline '>one' '>two' '>three' '>four' '>five'; }
scenario_concurrent() {
    local pids=() c
    for c in 1 2 3 4 5; do
        client --interval 100 ">conn $c req 1" ">conn $c req 2" ">conn $c req 3" &
        pids+=($!)
    done
    for c in "${pids[@]}"; do wait "$c"; done
}
# The server is stopped (SIGSTOP) before the last line goes out, so it can never answer it while
# the capture runs; it is resumed once the capture is stopped (see record()).
scenario_unanswered() {
    client --delay-last 500 --no-wait-last '>hello' '>are you there' &
    local pid=$!
    sleep 0.25
    kill -STOP "$server_pid"
    wait "$pid"
}
scenario_partial() { client --no-newline-last '>complete' '>partial'; }
scenario_reset() {
    client --delay-last 500 --reset-after-send '>before reset' '>after' &
    local pid=$!
    sleep 0.25
    kill -STOP "$server_pid"
    wait "$pid"
}

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

# Checks: each verifies one capture holds what its scenario intends.
check_plain() {
    expect "request segments" "$(count "$1" "$REQS")" 3 &&
        expect "response segments" "$(count "$1" "$RESPS")" 3
}
check_errors() {
    check_plain "$1" && expect "error answers" "$(text "$1" | grep -c '!hello$')" 1
}
check_pipelined() {
    expect "request segments" "$(count "$1" "$REQS")" 1 &&
        expect "requests" "$(text "$1" | grep -o '>req [0-9]*' | wc -l)" 50 &&
        expect "answers" "$(text "$1" | grep -o '<req [0-9]*' | wc -l)" 50
}
check_split() {
    expect "request segments" "$(count "$1" "$REQS")" 4 &&
        expect "response segments" "$(count "$1" "$RESPS")" 2
}
check_multi() {
    expect "request segments" "$(count "$1" "$REQS")" 1 &&
        expect "answers" "$(text "$1" | grep -oE '<(one|two|three|four|five)' | wc -l)" 5
}
check_concurrent() {
    expect "connections" "$(count "$1" 'tcp[tcpflags] == tcp-syn')" 5 &&
        expect "request segments" "$(count "$1" "$REQS")" 15 &&
        expect "response segments" "$(count "$1" "$RESPS")" 15
}
check_unanswered() {
    expect "request segments" "$(count "$1" "$REQS")" 2 &&
        expect "response segments" "$(count "$1" "$RESPS")" 1 &&
        expect "server FINs" "$(count "$1" "src port $PORT and tcp[tcpflags] & tcp-fin != 0")" 0
}
check_partial() {
    expect "request segments" "$(count "$1" "$REQS")" 2 &&
        expect "response segments" "$(count "$1" "$RESPS")" 1 &&
        expect "client FINs" "$(count "$1" "dst port $PORT and tcp[tcpflags] & tcp-fin != 0")" 1
}
check_reset() {
    expect "request segments" "$(count "$1" "$REQS")" 2 &&
        expect "response segments" "$(count "$1" "$RESPS")" 1 &&
        expect "client RSTs" "$(count "$1" "dst port $PORT and tcp[tcpflags] & tcp-rst != 0")" 1
}

# record NAME: records NAME.pcap with scenario_NAME until check_NAME accepts it.
record() {
    local name=$1 file=$TMP/$1.pcap attempt
    for attempt in 1 2 3; do
        echo "== $name.pcap (attempt $attempt)"
        start_capture "$file"
        "scenario_$name"
        stop_capture
        kill -CONT "$server_pid" # resume it if the scenario stopped it
        if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
            echo "  tcpdump dropped packets: $(grep dropped "$TMP/tcpdump.err")" >&2
        elif "check_$name" "$file"; then
            mv "$file" "$DATA_DIR/$name.pcap"
            return 0
        fi
        tcpdump -r "$file" -nn >&2 2>/dev/null
    done
    echo "record.sh: could not record $name.pcap" >&2
    exit 1
}

ALL=(plain errors pipelined split multi concurrent unanswered partial reset)
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

# The same packets as plain.pcap, in pcapng.
if ! command -v editcap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wireshark-common || true
fi
if command -v editcap >/dev/null; then
    editcap -F pcapng "$DATA_DIR/plain.pcap" "$DATA_DIR/plain.pcapng"
    echo "== plain.pcapng (converted from plain.pcap)"
else
    echo "record.sh: editcap not available, plain.pcapng not written" >&2
fi
ls -l "$DATA_DIR"/*.pcap*
