SELEC 1;
SELECT * FROM missing_table;
INSERT INTO items (id, name, price) VALUES (1, 'again', 1.00);
SELECT COUNT(*) FROM items;
