DELETE FROM accounts WHERE id IN (1, 2); DELETE FROM users WHERE id IN (1, 2);
