#!/usr/bin/env bash
# Re-records the PostgreSQL test captures in this directory (see README.md).
# Run as root, from anywhere:  sudo pgsql/data/record.sh [NAME...]   (default: all)
# Needs the Debian packages postgresql (15), python3-psycopg, openssl, tcpdump and tshark (it
# installs nothing; it says which are missing). Runs its own server: initdb in a temporary
# directory (as the postgres user), port 5432 on 127.0.0.1, ssl off (on for the ssl capture only),
# pg_hba: md5 for md5user and scram-sha-256 for scramuser over TCP. Records one scenario per capture
# with tcpdump on lo ('tcp port 5432'), the clients being psql, extended.py and copy_extended.py
# (psycopg), checks each capture with tshark, records it again (up to 3 times) if it is not what
# the scenario intends, and stops the server.
set -euo pipefail

DATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
PORT=5432

if [[ $EUID -ne 0 ]]; then
    echo "record.sh: must run as root (tcpdump captures on lo; the server runs as user postgres)" >&2
    exit 1
fi
PGBIN=
for dir in /usr/lib/postgresql/*/bin; do [[ -x $dir/initdb ]] && PGBIN=$dir; done
missing=()
[[ -n $PGBIN ]] || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[[ -x $PY ]] && "$PY" -c 'import psycopg' 2>/dev/null || missing+=(python3-psycopg)
command -v openssl >/dev/null || missing+=(openssl)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
if ((${#missing[@]})); then
    echo "record.sh: missing tools; install the Debian packages: apt-get install ${missing[*]}" >&2
    exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "record.sh: something already listens on port $PORT; stop it first" >&2
    exit 1
fi

TMP=$(mktemp -d)
chmod 755 "$TMP"
PGDATA=$TMP/data
SOCK=$TMP/run # the Unix socket, for the setup done outside the captures
tcpdump_pid=
server_ssl=
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; fi
    if [[ -f $PGDATA/postmaster.pid ]]; then as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
as_postgres() { runuser -u postgres -- "$@"; }

MD5_PASSWORD=md5secret
SCRAM_PASSWORD=scramsecret
init_server() {
    install -d -o postgres -m 700 "$PGDATA"
    install -d -o postgres -m 755 "$SOCK"
    as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log"
    cat >"$PGDATA/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER       ADDRESS        METHOD
local   all       all                       trust
host    all       md5user    127.0.0.1/32   md5
host    all       scramuser  127.0.0.1/32   scram-sha-256
EOF
    # A self-signed certificate, used only while the ssl capture is recorded.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
        -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
    chown postgres "$PGDATA/server.key" "$PGDATA/server.crt"
    chmod 600 "$PGDATA/server.key"
    start_server off
    admin postgres <<EOF
SET password_encryption = 'md5';
CREATE ROLE md5user LOGIN PASSWORD '$MD5_PASSWORD';
SET password_encryption = 'scram-sha-256';
CREATE ROLE scramuser LOGIN PASSWORD '$SCRAM_PASSWORD';
EOF
}

# start_server on|off: (re)starts the server with ssl on or off.
start_server() {
    if [[ $server_ssl == "$1" ]]; then return 0; fi
    if [[ -n $server_ssl ]]; then as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; fi
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start -o \
        "-c port=$PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$SOCK -c ssl=$1" >/dev/null
    server_ssl=$1
}

# admin DB: runs SQL from stdin as postgres over the Unix socket (outside the captures).
admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p $PORT -U postgres -d "$1" >/dev/null; }

# Every scenario starts from a new, empty database `analyzer` owned by md5user.
reset_db() {
    admin postgres <<EOF
SET client_min_messages TO warning;
DROP DATABASE IF EXISTS analyzer;
CREATE DATABASE analyzer OWNER md5user;
EOF
}
prep_items() { psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p $PORT -U md5user -d analyzer \
    -c 'CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(6,2))' >/dev/null; }
prep_users() { psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p $PORT -U md5user -d analyzer \
    -c "CREATE TABLE users (id integer PRIMARY KEY, name text)" -c "INSERT INTO users VALUES (1, 'alice')" >/dev/null; }

# start_capture / stop_capture
source "$DATA_DIR/../../scripts/capture-lib.sh"

# The clients: TCP to 127.0.0.1, libpq's default sslmode (prefer: SSLRequest first), no GSSAPI
# encryption request, no ~/.psqlrc.
export PGHOST=127.0.0.1 PGPORT=$PORT PGDATABASE=analyzer PGSSLMODE=prefer PGGSSENCMODE=disable
md5() { PGUSER=md5user PGPASSWORD=$MD5_PASSWORD "$@"; }
scram() { PGUSER=scramuser PGPASSWORD=$SCRAM_PASSWORD "$@"; }
PSQL=(psql -X -q)

# Scenarios: prep_NAME (optional) runs before the capture, scenario_NAME during it.
scenario_md5_auth() { md5 "${PSQL[@]}" -c 'SELECT 1' >/dev/null; }
scenario_scram_auth() { scram "${PSQL[@]}" -c 'SELECT current_user' >/dev/null; }
scenario_simple_query() { md5 "${PSQL[@]}" -f "$DATA_DIR/simple-query.sql" >/dev/null; }
scenario_select_5000() { md5 "${PSQL[@]}" -c "SELECT i AS id, 'row ' || i AS label FROM generate_series(1, 5000) AS i" >/dev/null; }
prep_errors() { prep_users; }
scenario_errors() { md5 "${PSQL[@]}" -f "$DATA_DIR/errors.sql" >/dev/null 2>"$TMP/errors.out"; }
scenario_empty_query() { md5 "${PSQL[@]}" -c '' -c ';' >/dev/null; }
prep_extended() { prep_items; }
scenario_extended() { md5 "$PY" "$DATA_DIR/extended.py" ""; }
prep_copy() { prep_items; }
scenario_copy() { md5 "${PSQL[@]}" -f "$DATA_DIR/copy.sql" >/dev/null; }
prep_copy_extended() { prep_items; }
prep_copy_refused() { prep_items; }
scenario_copy_refused() { md5 "${PSQL[@]}" -f "$DATA_DIR/copy-refused.sql" >/dev/null 2>"$TMP/copy-refused.out"; }
scenario_copy_extended() { md5 "$PY" "$DATA_DIR/copy_extended.py" ""; }
prep_ssl() { start_server on; }
scenario_ssl() { md5 env PGSSLMODE=require "${PSQL[@]}" -c 'SELECT 1' >/dev/null; }

# types FILE: the PostgreSQL messages tshark sees, one per line ("Simple query", "Data row"...).
types() { tshark -r "$1" -n -Y pgsql -T fields -E $'aggregator=\n' -e pgsql.type 2>/dev/null; }
# n FILE TYPE: how many messages of TYPE.
n() { types "$1" | grep -cx "$2" || true; }
field() { tshark -r "$1" -n -Y pgsql -T fields -E 'aggregator= ' -e "$2" 2>/dev/null | grep -v '^$' | tr '\n' ' ' | sed 's/ $//'; }
# The server's one-byte answer to the SSLRequest (4e: N, 53: S).
ssl_answer() { tshark -r "$1" -n -Y "tcp.srcport == $PORT && tcp.len == 1" -T fields -e tcp.payload 2>/dev/null | head -1; }
expect() {
    if [[ "$2" != "$3" ]]; then
        echo "  check failed: $1 is [$2], expected [$3]" >&2
        return 1
    fi
}
startup() {
    expect "SSL answer" "$(ssl_answer "$1")" 4e &&
        expect "startup messages" "$(n "$1" 'Startup message')" 1 &&
        expect "terminations" "$(n "$1" Termination)" 1
}

check_md5_auth() { startup "$1" && expect "auth types" "$(field "$1" pgsql.authtype)" "5 0" && expect queries "$(n "$1" 'Simple query')" 1; }
check_scram_auth() { startup "$1" && expect "auth types" "$(field "$1" pgsql.authtype)" "10 11 12 0" && expect queries "$(n "$1" 'Simple query')" 1; }
check_simple_query() {
    startup "$1" && expect queries "$(n "$1" 'Simple query')" 7 && expect rows "$(n "$1" 'Data row')" 3 &&
        expect tags "$(field "$1" pgsql.tag)" "CREATE TABLE INSERT 0 1 INSERT 0 1 INSERT 0 1 SELECT 3 UPDATE 2 DELETE 1"
}
check_select_5000() { startup "$1" && expect rows "$(n "$1" 'Data row')" 5000 && expect tags "$(field "$1" pgsql.tag)" "SELECT 5000"; }
check_errors() {
    startup "$1" && expect queries "$(n "$1" 'Simple query')" 4 &&
        expect "SQLSTATEs" "$(field "$1" pgsql.code)" "42601 23505 42P01" && expect tags "$(field "$1" pgsql.tag)" "SELECT 1"
}
check_empty_query() { startup "$1" && expect queries "$(n "$1" 'Simple query')" 2 && expect "empty answers" "$(n "$1" 'Empty query')" 2; }
check_extended() {
    startup "$1" && expect syncs "$(n "$1" Sync)" 6 && expect parses "$(n "$1" Parse)" 4 &&
        expect "SQLSTATEs" "$(field "$1" pgsql.code)" "23505" &&
        expect tags "$(field "$1" pgsql.tag)" "INSERT 0 1 SELECT 1 INSERT 0 1 INSERT 0 1 SELECT 1"
}
check_copy() {
    startup "$1" && expect "copy-in" "$(n "$1" 'CopyIn response')" 1 && expect "copy-out" "$(n "$1" 'CopyOut response')" 2 &&
        expect tags "$(field "$1" pgsql.tag)" "COPY 3 COPY 3 COPY 2"
}
check_copy_extended() {
    startup "$1" && expect syncs "$(n "$1" Sync)" 7 && expect parses "$(n "$1" Parse)" 5 &&
        expect "copy-in" "$(n "$1" 'CopyIn response')" 2 && expect "copy-out" "$(n "$1" 'CopyOut response')" 1 &&
        expect "copy fails" "$(n "$1" 'Copy failure')" 1 &&
        expect "SQLSTATEs" "$(field "$1" pgsql.code)" "42P01 57014" && expect tags "$(field "$1" pgsql.tag)" "COPY 3 COPY 3 SELECT 1"
}
check_copy_refused() {
    startup "$1" && expect queries "$(n "$1" 'Simple query')" 2 && expect "copy-in" "$(n "$1" 'CopyIn response')" 0 &&
        expect "SQLSTATEs" "$(field "$1" pgsql.code)" "42P01" && expect tags "$(field "$1" pgsql.tag)" "SELECT 1"
}
check_ssl() {
    expect "SSL answer" "$(ssl_answer "$1")" 53 &&
        expect "a TLS ClientHello" "$(tshark -r "$1" -n -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l | sed 's/^[1-9][0-9]*$/yes/')" yes &&
        expect "startup messages in the clear" "$(n "$1" 'Startup message')" 0
}

# record NAME: records NAME.pcap (- for _) with scenario_NAME until check_NAME accepts it.
record() {
    local name=$1 file attempt
    file=$TMP/${name//_/-}.pcap
    for attempt in 1 2 3; do
        echo "== ${name//_/-}.pcap (attempt $attempt)"
        if [[ $name == ssl ]]; then start_server on; else start_server off; fi
        reset_db
        if declare -F "prep_$name" >/dev/null; then "prep_$name"; fi
        start_capture "$file"
        "scenario_$name" || echo "  the scenario failed" >&2
        stop_capture
        if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
            echo "  tcpdump dropped packets: $(grep dropped "$TMP/tcpdump.err")" >&2
        elif "check_$name" "$file"; then
            mv "$file" "$DATA_DIR/${name//_/-}.pcap"
            return 0
        fi
        types "$file" | uniq -c >&2
        if [[ -n ${KEEP_FAILED:-} ]]; then cp "$file" "$KEEP_FAILED"; fi
    done
    echo "record.sh: could not record ${name//_/-}.pcap" >&2
    exit 1
}

ALL=(md5-auth scram-auth simple-query select-5000 errors empty-query extended copy copy-extended copy-refused ssl)
if [[ $# -eq 0 ]]; then set -- "${ALL[@]}"; fi
for name in "$@"; do
    if [[ " ${ALL[*]} " != *" ${name%.pcap} "* ]]; then
        echo "record.sh: unknown capture '$name' (known: ${ALL[*]})" >&2
        exit 2
    fi
done

init_server
for name in "$@"; do
    name=${name%.pcap}
    record "${name//-/_}"
done
ls -l "$DATA_DIR"/*.pcap
