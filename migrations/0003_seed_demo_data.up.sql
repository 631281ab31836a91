INSERT INTO users (id, user_name, email) VALUES
    (1, 'alice', 'alice@example.com'),
    (2, 'bob', NULL);
INSERT INTO accounts (id, user_id, balance) VALUES
    (1, 1, 100.00),
    (2, 2, 20.00);
