CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(6,2));
INSERT INTO items VALUES (1, 'apple', 0.50);
INSERT INTO items VALUES (2, 'banana', 0.25);
INSERT INTO items VALUES (3, 'cherry', 3.00);
SELECT id, name, price FROM items ORDER BY id;
UPDATE items SET price = price * 2 WHERE id <= 2;
DELETE FROM items WHERE id = 3;
