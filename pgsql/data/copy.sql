COPY items (id, name, price) FROM STDIN;
1	apple	0.50
2	banana	0.25
3	cherry	3.00
\.
COPY items TO STDOUT;
COPY (SELECT id, name FROM items WHERE id < 3 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
