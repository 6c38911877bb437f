#!/usr/bin/python3
"""The extended-query scenario of the PostgreSQL captures (see README.md), with psycopg 3 (Debian's
python3-psycopg, over libpq): queries with parameters go out as Parse/Bind/Describe/Execute/Sync.

Usage: extended.py CONNINFO   (the table `items` must exist and be empty)
"""
import sys

import psycopg


def main():
    with psycopg.connect(sys.argv[1], autocommit=True) as conn:
        cur = conn.cursor()
        # 1. an INSERT with parameters (unnamed statement)
        cur.execute("INSERT INTO items (id, name, price) VALUES (%s, %s, %s)", (1, "apple", "0.50"))
        # 2. a SELECT with a parameter (1 row)
        cur.execute("SELECT id, name, price FROM items WHERE id >= %s ORDER BY id", (0,))
        assert cur.fetchall() == [(1, "apple", __import__("decimal").Decimal("0.50"))]
        # 3. a unique violation (23505): ErrorResponse, then ReadyForQuery after the Sync
        try:
            cur.execute("INSERT INTO items (id, name, price) VALUES (%s, %s, %s)", (1, "again", "1.00"))
        except psycopg.errors.UniqueViolation:
            pass
        else:
            raise SystemExit("expected a unique violation")
        # 4-5. a named prepared statement (prepare=True): Parse of _pg3_0 in the first, Bind only in the second
        for i in (2, 3):
            cur.execute("INSERT INTO items (id, name, price) VALUES (%s, %s, %s)", (i, f"item {i}", "2.00"), prepare=True)
        # 6. a query with no parameter: psycopg sends it as a simple query (Q)
        cur.execute("SELECT count(*) FROM items")
        assert cur.fetchone() == (3,)


if __name__ == "__main__":
    main()
