#!/usr/bin/python3
"""The copy-extended scenario of the PostgreSQL captures (see README.md): COPY through the extended
query protocol, as libpq's PQsendQueryParams sends it (Parse/Bind/Describe/Execute/Sync), driven
through psycopg 3's libpq wrapper (Debian's python3-psycopg). libpq ends a COPY FROM STDIN so
started with CopyDone (or CopyFail) and a second Sync.

Usage: copy_extended.py CONNINFO   (the table `items` must exist and be empty)
"""
import sys

import psycopg
from psycopg import pq

S = pq.ExecStatus


def results(pg):
    """The statuses of the results up to the end of the command (or a copy starting)."""
    out = []
    while True:
        r = pg.get_result()
        if r is None:
            return out
        out.append(r.status)
        if r.status in (S.COPY_IN, S.COPY_OUT):
            return out


def expect(got, want):
    if got != want:
        raise SystemExit(f"expected {want}, got {got}")


def main():
    with psycopg.connect(sys.argv[1], autocommit=True) as conn:
        pg = conn.pgconn
        # 1. COPY FROM STDIN: two CopyData, CopyDone, Sync
        pg.send_query_params(b"COPY items (id, name, price) FROM STDIN", None)
        expect(results(pg), [S.COPY_IN])
        pg.put_copy_data(b"1\tapple\t0.50\n2\tbanana\t0.25\n")
        pg.put_copy_data(b"3\tcherry\t3.00\n")
        pg.put_copy_end()
        expect(results(pg), [S.COMMAND_OK])
        # 2. COPY TO STDOUT: the server's CopyOutResponse, 3 CopyData, CopyDone
        pg.send_query_params(b"COPY items TO STDOUT", None)
        expect(results(pg), [S.COPY_OUT])
        rows = 0
        while pg.get_copy_data(0)[0] > 0:
            rows += 1
        expect(rows, 3)
        expect(results(pg), [S.COMMAND_OK])
        # 3. a COPY the server refuses (no such table): ErrorResponse, no copy
        pg.send_query_params(b"COPY missing FROM STDIN", None)
        expect(results(pg), [S.FATAL_ERROR])
        # 4. a COPY the client gives up: CopyData, CopyFail, Sync; ErrorResponse
        pg.send_query_params(b"COPY items FROM STDIN", None)
        expect(results(pg), [S.COPY_IN])
        pg.put_copy_data(b"9\tfig\t1.00\n")
        pg.put_copy_end(b"the client gave up")
        expect(results(pg), [S.FATAL_ERROR])
        # 5. a query with a parameter after them
        pg.send_query_params(b"SELECT count(*) FROM items WHERE id > $1", [b"0"])
        expect(results(pg), [S.TUPLES_OK])


if __name__ == "__main__":
    main()
