#!/usr/bin/env bash
# Re-records the HTTP test captures in this directory (see README.md).
# Run as root, from anywhere:  sudo http/data/record.sh [NAME...]   (default: all)
# Needs the Debian packages nginx, curl, python3, tcpdump and tshark (it installs nothing; it says
# which are missing). Starts nginx on 127.0.0.1:80 and [::1]:80 (its own config and files in a
# temporary directory), server.py (http.server-based, this directory) on 127.0.0.1:8000 and
# `python3 -m http.server` on 127.0.0.1:8080, records one scenario per capture with tcpdump on lo
# (filter: the scenario's server port), checks each capture with tshark (requests and responses)
# and records it again, up to 3 times, if it is not what the scenario intends; stops everything.
set -euo pipefail

DATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3 # Debian's python3, whatever else is first on PATH
NGINX_PORT=80
SERVER_PORT=8000 # server.py
SIMPLE_PORT=8080 # python3 -m http.server

if [[ $EUID -ne 0 ]]; then
    echo "record.sh: must run as root (tcpdump captures on lo; nginx listens on port 80)" >&2
    exit 1
fi
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
[[ -x $PY ]] || missing+=(python3)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
if ((${#missing[@]})); then
    echo "record.sh: missing tools; install the Debian packages: apt-get install ${missing[*]}" >&2
    exit 1
fi
for port in $NGINX_PORT $SERVER_PORT $SIMPLE_PORT; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "record.sh: something already listens on port $port; stop it first" >&2
        exit 1
    fi
done

TMP=$(mktemp -d)
chmod 755 "$TMP"
WWW=$TMP/www
tcpdump_pid=
server_pid=
simple_pid=
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; fi
    if [[ -f $TMP/nginx.pid ]]; then kill -QUIT "$(cat "$TMP/nginx.pid")" 2>/dev/null || true; fi
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
    if [[ -n $simple_pid ]]; then kill "$simple_pid" 2>/dev/null || true; fi
    sleep 0.5
    rm -rf "$TMP"
}
trap cleanup EXIT

# The served files: fixed contents and a fixed modification time (nginx's ETag and Last-Modified
# come from the size and the mtime), so every recording serves the same bytes.
make_files() {
    mkdir -p "$WWW"
    cat >"$WWW/index.html" <<'EOF'
<!DOCTYPE html>
<html>
<head><title>capture test page</title></head>
<body>
<p>This page is served for the HTTP analyzer's test captures.</p>
</body>
</html>
EOF
    printf 'file a\n' >"$WWW/a.txt"
    printf 'file b, a little longer\n' >"$WWW/b.txt"
    printf 'file c\n' >"$WWW/c.txt"
    # 2 MiB: the bytes 0..250 repeated (251 is prime, so the pattern does not align with segments).
    "$PY" -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(2 * 1024 * 1024)))' \
        >"$WWW/large.bin"
    # Request bodies (not served).
    "$PY" -c 'import sys; sys.stdout.buffer.write(b"".join(b"line %04d of the upload body\n" % i for i in range(1, 147)))' \
        >"$TMP/upload-4k.txt" # 146 lines of 29 bytes: 4,234 bytes
    "$PY" -c 'import sys; sys.stdout.buffer.write(b"".join(b"chunked line %02d\n" % i for i in range(1, 21)))' \
        >"$TMP/upload-chunked.txt" # 20 lines of 16 bytes: 320 bytes (one chunk)
    touch -d '2024-01-01 00:00:00 UTC' "$WWW"/*
}

start_nginx() {
    mkdir -p "$TMP/nginx"
    cat >"$TMP/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $TMP/nginx/access.log;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    types { text/html html; text/plain txt; application/octet-stream bin; }
    default_type application/octet-stream;
    keepalive_timeout 65;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        listen [::1]:$NGINX_PORT;
        server_name localhost;
        root $WWW;
        location = /nocontent { return 204; }
        location = /error { return 500; }
    }
}
EOF
    nginx -c "$TMP/nginx.conf" -p "$TMP/nginx"
    wait_port $NGINX_PORT nginx
}

start_python_servers() {
    "$PY" "$DATA_DIR/server.py" $SERVER_PORT 2>>"$TMP/server.log" &
    server_pid=$!
    "$PY" -m http.server --bind 127.0.0.1 --directory "$WWW" $SIMPLE_PORT 2>>"$TMP/simple.log" >&2 &
    simple_pid=$!
    wait_port $SERVER_PORT server.py
    wait_port $SIMPLE_PORT http.server
}

wait_port() {
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "record.sh: $2 did not start on port $1" >&2
    exit 1
}

# start_capture / stop_capture (capture "tcp port $PORT")
source "$DATA_DIR/../../scripts/capture-lib.sh"

N=http://127.0.0.1 # nginx
S=http://127.0.0.1:$SERVER_PORT
C=(curl_) # bodies are not needed, only the traffic
curl_() { curl -sS "$@" >/dev/null; }
client() { "$PY" "$DATA_DIR/client.py" "$1" "$PORT"; }
etag() { printf '"%x-%x"' "$(stat -c %Y "$1")" "$(stat -c %s "$1")"; }

# Scenarios: each sets PORT (the server port captured) and runs its traffic when called with "run".
scenario_get() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" "$N/index.html?lang=en&page=1"; }
scenario_keepalive() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" "$N/a.txt" "$N/b.txt" "$N/c.txt"; }
scenario_pipelined() { PORT=$NGINX_PORT; [[ $1 == port ]] || client pipelined; }
scenario_head() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" -I "$N/index.html"; }
scenario_errors() {
    PORT=$NGINX_PORT
    [[ $1 == port ]] && return
    "${C[@]}" "$N/missing.html" "$N/error"
    "${C[@]}" -d 'x=1' "$N/index.html"
}
scenario_post() { PORT=$SERVER_PORT; [[ $1 == port ]] || "${C[@]}" -d 'name=analyzer&lang=rust' "$S/upload"; }
# curl 7.88 sends `Expect: 100-continue` by itself only for bodies over 1 MiB: asked for here.
scenario_expect_continue() { PORT=$SERVER_PORT; [[ $1 == port ]] || "${C[@]}" -H 'Expect: 100-continue' --data-binary "@$TMP/upload-4k.txt" "$S/upload"; }
scenario_chunked_response() { PORT=$SERVER_PORT; [[ $1 == port ]] || "${C[@]}" "$S/chunked"; }
scenario_chunked_request() {
    PORT=$SERVER_PORT
    [[ $1 == port ]] || "${C[@]}" -H 'Transfer-Encoding: chunked' -H 'Expect:' \
        --data-binary "@$TMP/upload-chunked.txt" "$S/upload"
}
scenario_close_delimited() { PORT=$SERVER_PORT; [[ $1 == port ]] || "${C[@]}" "$S/stream"; }
scenario_no_content() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" "$N/nocontent"; }
scenario_not_modified() {
    PORT=$NGINX_PORT
    [[ $1 == port ]] && return
    "${C[@]}" "$N/index.html" \
        --next -H "If-None-Match: $(etag "$WWW/index.html")" "$N/index.html" \
        --next -H 'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT' "$N/index.html"
}
scenario_connection_close() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" -H 'Connection: close' "$N/index.html"; }
scenario_websocket() { PORT=$SERVER_PORT; [[ $1 == port ]] || client websocket; }
# curl asks server.py (as a proxy) for a tunnel to nginx, then sends a GET through it.
scenario_connect() { PORT=$SERVER_PORT; [[ $1 == port ]] || "${C[@]}" -p -x "$S" "$N/index.html"; }
scenario_large() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" "$N/large.bin"; }
scenario_ipv6() { PORT=$NGINX_PORT; [[ $1 == port ]] || "${C[@]}" -g "http://[::1]/index.html"; }
scenario_http09() { PORT=$NGINX_PORT; [[ $1 == port ]] || client http09; }
scenario_garbage() { PORT=$NGINX_PORT; [[ $1 == port ]] || client garbage; }
scenario_simple_server() { PORT=$SIMPLE_PORT; [[ $1 == port ]] || "${C[@]}" "http://127.0.0.1:$SIMPLE_PORT/index.html"; }

# tshark's view of a capture: requests ("METHOD URI", one per line) and response status codes.
TSHARK=(tshark -n -d "tcp.port==$SERVER_PORT,http" -d "tcp.port==$SIMPLE_PORT,http")
# (Fields of several messages in one frame come joined by "|".)
requests() {
    "${TSHARK[@]}" -r "$1" -Y http.request -T fields -E 'aggregator=|' -e http.request.method -e http.request.uri 2>/dev/null |
        awk -F'\t' '{ n = split($1, m, "|"); split($2, u, "|"); for (i = 1; i <= n; i++) print m[i], u[i] }'
}
codes() { "${TSHARK[@]}" -r "$1" -Y http.response -T fields -E 'aggregator= ' -e http.response.code 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
count() { tcpdump -r "$1" -nn "$2" 2>/dev/null | wc -l; }

# expect_http FILE 'REQUEST|REQUEST...' 'CODE CODE...': tshark sees exactly these.
expect_http() {
    local want_reqs got_reqs got_codes
    want_reqs=$(tr '|' '\n' <<<"$2")
    got_reqs=$(requests "$1")
    got_codes=$(codes "$1")
    if [[ $got_reqs != "$want_reqs" ]]; then
        echo "  check failed: requests are [$got_reqs], expected [$want_reqs]" >&2
        return 1
    fi
    if [[ $got_codes != "$3" ]]; then
        echo "  check failed: response codes are [$got_codes], expected [$3]" >&2
        return 1
    fi
}
expect() {
    if [[ $2 -ne $3 ]]; then
        echo "  check failed: $1 is $2, expected $3" >&2
        return 1
    fi
}
syns() { count "$1" 'tcp[tcpflags] == tcp-syn'; }
PAYLOAD='(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0'

check_get() { expect_http "$1" 'GET /index.html?lang=en&page=1' '200'; }
check_keepalive() { expect_http "$1" 'GET /a.txt|GET /b.txt|GET /c.txt' '200 200 200' && expect connections "$(syns "$1")" 1; }
check_pipelined() {
    expect_http "$1" 'GET /a.txt|GET /b.txt|GET /c.txt' '200 200 200' &&
        expect "request segments" "$(count "$1" "dst port $PORT and $PAYLOAD")" 1
}
check_head() { expect_http "$1" 'HEAD /index.html' '200'; }
check_errors() { expect_http "$1" 'GET /missing.html|GET /error|POST /index.html' '404 500 405'; }
check_post() { expect_http "$1" 'POST /upload' '200'; }
check_expect_continue() { expect_http "$1" 'POST /upload' '100 200'; }
check_chunked_response() { expect_http "$1" 'GET /chunked' '200'; }
check_chunked_request() { expect_http "$1" 'POST /upload' '200'; }
check_close_delimited() { expect_http "$1" 'GET /stream' '200'; }
check_no_content() { expect_http "$1" 'GET /nocontent' '204'; }
check_not_modified() { expect_http "$1" 'GET /index.html|GET /index.html|GET /index.html' '200 304 304' && expect connections "$(syns "$1")" 1; }
check_connection_close() { expect_http "$1" 'GET /index.html' '200'; }
check_websocket() { expect_http "$1" 'GET /ws' '101'; }
check_connect() { expect_http "$1" 'CONNECT 127.0.0.1:80' '200'; }
check_large() { expect_http "$1" 'GET /large.bin' '200'; }
check_ipv6() { expect_http "$1" 'GET /index.html' '200' && expect "IPv6 packets" "$(count "$1" ip)" 0; }
check_http09() { expect connections "$(syns "$1")" 1; }
check_garbage() { expect "400 responses" "$("${TSHARK[@]}" -r "$1" -Y 'http.response.code == 400' 2>/dev/null | wc -l)" 1; }
check_simple_server() { expect_http "$1" 'GET /index.html' '200'; }

# record NAME: records NAME.pcap (name with - for _) with scenario_NAME until check_NAME accepts it.
record() {
    local name=$1 file attempt
    file=$TMP/${name//_/-}.pcap
    for attempt in 1 2 3; do
        echo "== ${name//_/-}.pcap (attempt $attempt)"
        "scenario_$name" port
        start_capture "$file"
        "scenario_$name" run || echo "  the scenario failed" >&2
        stop_capture
        if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
            echo "  tcpdump dropped packets: $(grep dropped "$TMP/tcpdump.err")" >&2
        elif "check_$name" "$file"; then
            mv "$file" "$DATA_DIR/${name//_/-}.pcap"
            return 0
        fi
        tcpdump -r "$file" -nn -q >&2 2>/dev/null | head -40
    done
    echo "record.sh: could not record ${name//_/-}.pcap" >&2
    exit 1
}

ALL=(get keepalive pipelined head errors post expect-continue chunked-response chunked-request
    close-delimited no-content not-modified connection-close websocket connect large ipv6 http09
    garbage simple-server)
if [[ $# -eq 0 ]]; then set -- "${ALL[@]}"; fi
for name in "$@"; do
    if [[ " ${ALL[*]} " != *" ${name%.pcap} "* ]]; then
        echo "record.sh: unknown capture '$name' (known: ${ALL[*]})" >&2
        exit 2
    fi
done

make_files
start_nginx
start_python_servers
for name in "$@"; do
    name=${name%.pcap}
    record "${name//-/_}"
done
ls -l "$DATA_DIR"/*.pcap
