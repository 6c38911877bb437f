CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(6,2));
INSERT INTO items (name, price) VALUES ('apple', 0.50), ('banana', 0.25), ('cherry', 3.00);
INSERT INTO items (name, price) VALUES ('date', 1.25);
UPDATE items SET price = price * 2 WHERE id <= 2;
DELETE FROM items WHERE id = 3;
