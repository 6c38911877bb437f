SELEC 1;
INSERT INTO users VALUES (1, 'again');
SELECT * FROM missing_table;
SELECT count(*) FROM users;
