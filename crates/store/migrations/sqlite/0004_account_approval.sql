-- A credential one administrator set (a new account's password, a reset one) waits for a
-- second administrator's approval: the role that must approve, or NULL when nothing waits.
ALTER TABLE accounts ADD COLUMN awaiting_approval_by TEXT;
