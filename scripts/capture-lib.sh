# Shared by the protocol crates' data/record.sh scripts (sourced, not run):
# start and stop a loopback capture of one TCP port with tcpdump.
# Needs: $TMP (a scratch directory) and $PORT; sets $tcpdump_pid.

tcpdump_pid=

# start_capture FILE: starts tcpdump and waits until it is really capturing.
start_capture() {
    : >"$TMP/tcpdump.err"
    # --immediate-mode: hand every packet over at once (else the last ones can sit in a kernel
    # buffer block and be lost on SIGINT); it uses one ring frame per packet of up to 64 KiB on lo,
    # hence the 64 MiB buffer (-B, KiB). -Z root: keep privileges, to write into $TMP.
    tcpdump -i lo -s 0 -U --immediate-mode -B 65536 -Z root -w "$1" "tcp port $PORT" 2>"$TMP/tcpdump.err" &
    tcpdump_pid=$!
    for _ in $(seq 100); do
        if grep -q "listening on" "$TMP/tcpdump.err"; then
            sleep 0.5
            return 0
        fi
        sleep 0.1
    done
    echo "record.sh: tcpdump did not start:" >&2
    cat "$TMP/tcpdump.err" >&2
    exit 1
}

# stop_capture: lets the closing handshake through, then stops tcpdump.
stop_capture() {
    sleep 1
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid" || true
    tcpdump_pid=
}
