-- Money is DECIMAL, never FLOAT: the transfer handler must not lose cents.
CREATE TABLE accounts (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    balance DECIMAL(12, 2) NOT NULL DEFAULT 0,
    CONSTRAINT accounts_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT accounts_non_negative CHECK (balance >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
