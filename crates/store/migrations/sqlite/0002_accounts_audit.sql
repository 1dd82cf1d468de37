-- Staff accounts, their sessions and API tokens, and the hash-chained audit trail.

CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL,
    area_code            TEXT NOT NULL REFERENCES areas (code),
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    created_at           TEXT NOT NULL
);

-- Failed logins inside the lockout window; cleared by a successful login.
CREATE TABLE login_failures (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    at         TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account_id, at);

-- A browser session or an API token: only the SHA-256 of the secret is kept.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    account_id  INTEGER,
    username    TEXT,
    source      TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT,
    result      TEXT NOT NULL,
    detail      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_account ON audit_log (account_id, seq);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Search by name prefix and by phone on the people lists.
CREATE INDEX persons_name ON persons (name, id);
CREATE INDEX persons_phone ON persons (phone) WHERE phone IS NOT NULL;
