-- A COPY ... FROM STDIN the server refuses before it starts (no such table):
-- no CopyInResponse, so psql sends no data and goes on with the next query.
COPY missing FROM STDIN;
SELECT count(*) FROM items;
