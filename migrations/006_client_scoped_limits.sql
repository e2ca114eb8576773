-- The comment rate limit and Idempotency-Key answers live in the database, so that every process on
-- the file shares them (two processes no longer double the limit). A client is named by a keyed hash
-- of its address (HMAC-SHA256 under the secret below, truncated): no address is stored.

-- Keys the hash of client addresses; shared by every process that opens this database.
INSERT INTO settings (name, value) VALUES ('client_key_secret', lower(hex(randomblob(32))));

-- An Idempotency-Key belongs to the client that sent it: another client's same key is another
-- request. The answers of the global table expire within 24 hours anyway, so it is replaced, not copied.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
  scope        TEXT    NOT NULL,
  client       TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  request_hash TEXT    NOT NULL,
  status_code  INTEGER NOT NULL,
  headers      TEXT    NOT NULL CHECK (json_valid(headers)),
  body         TEXT    NOT NULL,
  created_at   TEXT    NOT NULL,
  PRIMARY KEY (scope, client, key)
) STRICT;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);

-- One fixed window per client and limited action: `hits` stored writes since `window_started_ms`
-- (Unix ms). A row whose window has ended is dead: the next write starts a new window, and the
-- expiry index lets pruning find dead rows without a scan.
CREATE TABLE rate_limits (
  scope             TEXT    NOT NULL,
  client            TEXT    NOT NULL,
  window_started_ms INTEGER NOT NULL,
  hits              INTEGER NOT NULL CHECK (hits >= 0),
  PRIMARY KEY (scope, client)
) STRICT, WITHOUT ROWID;
CREATE INDEX rate_limits_expiry ON rate_limits (window_started_ms);
