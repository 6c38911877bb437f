#!/usr/bin/env bash
# Re-records the MySQL (MariaDB) test captures in this directory (see README.md).
# Run as root, from anywhere:  sudo mysql/data/record.sh [NAME...]   (default: all)
# Needs the Debian packages mariadb-server, mariadb-client, libdbd-mariadb-perl, python3, tcpdump
# and tshark (it installs nothing; it says which are missing). Runs its own server: a datadir made
# by mariadb-install-db in a temporary directory, mariadbd on 127.0.0.1:3306 with SSL disabled
# (--skip-ssl), user `analyzer` with mysql_native_password. Records one scenario per capture with
# tcpdump on lo ('tcp port 3306'), the clients being the mariadb client, mariadb-admin,
# prepared.pl (DBD::MariaDB) and client.py; checks each capture with tshark, records it again (up
# to 3 times) if it is not what the scenario intends, and stops the server.
set -euo pipefail

DATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
PORT=3306
PASSWORD=analyzer-secret

if [[ $EUID -ne 0 ]]; then
    echo "record.sh: must run as root (tcpdump captures on lo; the server runs as user mysql)" >&2
    exit 1
fi
missing=()
command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null || missing+=(mariadb-server)
command -v mariadb >/dev/null && command -v mariadb-admin >/dev/null || missing+=(mariadb-client)
perl -MDBD::MariaDB -e 1 2>/dev/null || missing+=(libdbd-mariadb-perl)
[[ -x $PY ]] || missing+=(python3)
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
RUN=$TMP/run # the Unix socket, for the setup done outside the captures
tcpdump_pid=
server_pid=
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill -INT "$tcpdump_pid" 2>/dev/null || true; fi
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

start_server() {
    install -d -o mysql -m 755 "$RUN"
    mariadb-install-db --no-defaults --user=mysql --datadir="$TMP/data" --skip-test-db \
        --auth-root-authentication-method=socket >"$TMP/install.log" 2>&1
    mariadbd --no-defaults --user=mysql --datadir="$TMP/data" --port=$PORT --bind-address=127.0.0.1 \
        --socket="$RUN/mysqld.sock" --pid-file="$RUN/mysqld.pid" --skip-ssl --skip-name-resolve \
        --max-allowed-packet=64M \
        --log-error="$RUN/error.log" &
    server_pid=$!
    for _ in $(seq 100); do
        if admin -e 'SELECT 1' >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    admin <<SQL
CREATE USER 'analyzer'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('$PASSWORD');
GRANT ALL ON analyzer.* TO 'analyzer'@'127.0.0.1';
SQL
}

# admin: SQL from stdin or -e as root over the Unix socket (outside the captures).
admin() { mariadb --no-defaults -S "$RUN/mysqld.sock" -u root "$@"; }
# Every scenario starts from a new, empty database `analyzer`.
reset_db() { admin -e 'DROP DATABASE IF EXISTS analyzer; CREATE DATABASE analyzer'; }
prep_items() {
    admin analyzer <<'SQL'
CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(6,2));
INSERT INTO items (name, price) VALUES ('apple', 0.50), ('banana', 0.25), ('cherry', 3.00);
SQL
}

# start_capture / stop_capture
source "$DATA_DIR/../../scripts/capture-lib.sh"

# The clients: TCP to 127.0.0.1:3306, no option files, no SSL.
MARIADB=(mariadb --no-defaults -h 127.0.0.1 -P $PORT -u analyzer "-p$PASSWORD" --skip-ssl)

# Scenarios: prep_NAME (optional) runs before the capture, scenario_NAME during it.
scenario_ping() { mariadb-admin --no-defaults -h 127.0.0.1 -P $PORT -u analyzer "-p$PASSWORD" --skip-ssl ping >/dev/null; }
scenario_query_ok() { "${MARIADB[@]}" analyzer <"$DATA_DIR/query-ok.sql"; }
prep_query_error() { prep_items; }
scenario_query_error() { "${MARIADB[@]}" --force analyzer <"$DATA_DIR/query-error.sql" >/dev/null 2>"$TMP/errors.out"; }
prep_select() { prep_items; }
scenario_select() { "${MARIADB[@]}" analyzer -e 'SELECT id, name, price FROM items ORDER BY id' >/dev/null; }
scenario_select_large() { "${MARIADB[@]}" analyzer -e "SELECT seq AS id, CONCAT('row ', seq) AS label FROM seq_1_to_3000" >/dev/null; }
prep_use_db() { prep_items; }
scenario_use_db() { "${MARIADB[@]}" -e 'USE analyzer; SELECT COUNT(*) FROM items' >/dev/null; }
prep_prepared() { prep_items; }
scenario_prepared() { perl "$DATA_DIR/prepared.pl" $PORT "$PASSWORD"; }
prep_long_payload() {
    admin analyzer -e 'CREATE TABLE blobs (b LONGBLOB)'
    # A 17 MiB INSERT: two packets (0xFFFFFF bytes, then the rest).
    "$PY" -c "import sys; sys.stdout.write(\"INSERT INTO blobs VALUES ('\" + 'x' * (17 << 20) + \"');\\n\")" >"$TMP/long.sql"
    cat >>"$TMP/long.sql" <<'SQL'
SELECT REPEAT('y', 17825797) AS r, 'b';
SELECT LENGTH(b) FROM blobs;
SQL
}
scenario_long_payload() { "${MARIADB[@]}" --max-allowed-packet=64M analyzer <"$TMP/long.sql" >/dev/null; }
# Stored compressed (35 MB of x and y: 75 KB).
post_long_payload() { gzip -9 -n -f "$1"; }
prep_deprecate_eof() { prep_items; }
scenario_deprecate_eof() { "$PY" "$DATA_DIR/client.py" $PORT "$PASSWORD"; }

# commands FILE: the client's commands in order, as tshark names them ("Query", "Ping"...).
commands() { tshark -r "$1" -n -Y 'mysql.command' -T fields -E 'aggregator= ' -e mysql.command 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
field() { tshark -r "$1" -n -Y mysql -T fields -E 'aggregator= ' -e "$2" 2>/dev/null | grep -v '^$' | tr '\n' ' ' | sed 's/ $//'; }
# values FILE: the text values of the result set rows (rows x columns).
values() { tshark -r "$1" -n -Y mysql -T fields -E $'aggregator=\n' -e mysql.row.text 2>/dev/null | grep -c . || true; }
greeting() { tshark -r "$1" -n -Y mysql.server_greeting 2>/dev/null | wc -l; }
expect() {
    if [[ "$2" != "$3" ]]; then
        echo "  check failed: $1 is [$2], expected [$3]" >&2
        return 1
    fi
}
login() { expect greetings "$(greeting "$1")" 1 && expect "login users" "$(field "$1" mysql.user)" analyzer; }

# tshark's command numbers: 1 Quit, 2 Use Database (COM_INIT_DB), 3 Query, 14 Ping,
# 22 Prepare Statement, 23 Execute Statement, 25 Close Statement.
check_ping() { login "$1" && expect commands "$(commands "$1")" "14 1"; }
check_query_ok() {
    login "$1" && expect commands "$(commands "$1")" "3 3 3 3 3 1" &&
        expect "affected rows" "$(field "$1" mysql.affected_rows)" "0 0 3 1 2 1"
}
check_query_error() {
    login "$1" && expect commands "$(commands "$1")" "3 3 3 3 1" &&
        expect "error codes" "$(field "$1" mysql.error_code)" "1064 1146 1062"
}
check_select() { login "$1" && expect commands "$(commands "$1")" "3 1" && expect "row values (3 x 3)" "$(values "$1")" 9; }
check_select_large() { login "$1" && expect commands "$(commands "$1")" "3 1" && expect "row values (3000 x 2)" "$(values "$1")" 6000; }
check_use_db() { login "$1" && expect commands "$(commands "$1")" "3 2 3 1"; }
check_prepared() {
    login "$1" && expect "prepare/execute/close" "$(commands "$1" | tr ' ' '\n' | grep -E '^(22|23|25)$' | tr '\n' ' ' | sed 's/ $//')" \
        "22 23 25 22 23 23 25 22 23 25" && expect "error codes" "$(field "$1" mysql.error_code)" "1062"
}
# tshark reads the INSERT's second packet (a continuation: 'xxx...') as a command 0x78 (120).
check_long_payload() {
    login "$1" && expect commands "$(commands "$1")" "3 120 3 3 1" &&
        expect "packets of 0xFFFFFF bytes" "$(tshark -r "$1" -n -Y 'mysql.packet_length == 16777215' 2>/dev/null | wc -l)" 2
}
check_deprecate_eof() {
    login "$1" && expect commands "$(commands "$1")" "3 3 3 1" && expect "error codes" "$(field "$1" mysql.error_code)" "1146"
}

# record NAME: records NAME.pcap (- for _) with scenario_NAME until check_NAME accepts it.
record() {
    local name=$1 file attempt
    file=$TMP/${name//_/-}.pcap
    for attempt in 1 2 3; do
        echo "== ${name//_/-}.pcap (attempt $attempt)"
        reset_db
        if declare -F "prep_$name" >/dev/null; then "prep_$name"; fi
        start_capture "$file"
        "scenario_$name" || echo "  the scenario failed" >&2
        stop_capture
        if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
            echo "  tcpdump dropped packets: $(grep dropped "$TMP/tcpdump.err")" >&2
        elif "check_$name" "$file"; then
            mv "$file" "$DATA_DIR/${name//_/-}.pcap"
            if declare -F "post_$name" >/dev/null; then "post_$name" "$DATA_DIR/${name//_/-}.pcap"; fi
            return 0
        fi
        tshark -r "$file" -n -Y mysql 2>/dev/null >&2 | head -40
        if [[ -n ${KEEP_FAILED:-} ]]; then cp "$file" "$KEEP_FAILED"; fi
    done
    echo "record.sh: could not record ${name//_/-}.pcap" >&2
    exit 1
}

ALL=(ping query-ok query-error select select-large use-db prepared deprecate-eof long-payload)
if [[ $# -eq 0 ]]; then set -- "${ALL[@]}"; fi
for name in "$@"; do
    if [[ " ${ALL[*]} " != *" ${name%.pcap} "* ]]; then
        echo "record.sh: unknown capture '$name' (known: ${ALL[*]})" >&2
        exit 2
    fi
done

start_server
for name in "$@"; do
    name=${name%.pcap}
    record "${name//-/_}"
done
ls -l "$DATA_DIR"/*.pcap*
