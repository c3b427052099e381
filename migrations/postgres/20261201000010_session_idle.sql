-- Sessions end after a while without use (ECM_SESSION_IDLE_MINUTES) as well as at their
-- absolute expiry: when the session was last used, refreshed at most once a minute.
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
