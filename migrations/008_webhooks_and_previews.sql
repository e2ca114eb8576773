-- Preview links for drafts, and webhooks with a transactional outbox. Events are written by triggers,
-- so every path that changes articles or comments (the API, the importer, SQL by hand) records its
-- events in the same transaction as the change: none is lost, none is sent for a change rolled back.

-- A preview link lets whoever holds it read one article. Only a SHA-256 digest of the token is kept.
CREATE TABLE article_previews (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  digest     TEXT    NOT NULL UNIQUE,
  created_at TEXT    NOT NULL,
  expires_at TEXT    NOT NULL,
  revoked_at TEXT
) STRICT;

CREATE INDEX article_previews_article ON article_previews (article_id, id);

-- Where events are sent. The secret signs deliveries, so it is kept as it is (HMAC needs it); after a
-- rotation the previous one keeps signing alongside until previous_secret_until.
CREATE TABLE webhook_endpoints (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  url                   TEXT    NOT NULL,
  description           TEXT    NOT NULL DEFAULT '',
  events                TEXT    NOT NULL CHECK (json_valid(events) AND json_type(events) = 'array'),
  enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  disabled_reason       TEXT,
  secret                TEXT    NOT NULL,
  previous_secret       TEXT,
  previous_secret_until TEXT,
  created_at            TEXT    NOT NULL,
  updated_at            TEXT    NOT NULL
) STRICT;

-- The event types some enabled endpoint listens to: an event nobody listens to is not written at all.
CREATE VIEW webhook_subscriptions (type) AS
SELECT DISTINCT subscribed.value FROM webhook_endpoints AS endpoint, json_each(endpoint.events) AS subscribed WHERE endpoint.enabled = 1;

-- The outbox. AUTOINCREMENT: an event id (the webhook-id) is never given twice.
CREATE TABLE webhook_events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  type          TEXT    NOT NULL,
  article_id    INTEGER,
  article_slug  TEXT,
  previous_slug TEXT,
  comment_id    INTEGER,
  occurred_at   TEXT    NOT NULL
) STRICT;

-- One row per event and endpoint. A worker claims the oldest pending delivery of an endpoint by
-- setting lease_owner and lease_until in one UPDATE, so two processes never send the same attempt.
CREATE TABLE webhook_deliveries (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id         INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT,
  lease_owner      TEXT,
  lease_until      TEXT,
  last_attempt_at  TEXT,
  last_status_code INTEGER,
  last_duration_ms INTEGER,
  last_error       TEXT,
  created_at       TEXT    NOT NULL
) STRICT;

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TRIGGER webhook_events_fan_out AFTER INSERT ON webhook_events WHEN NEW.type <> 'webhook.test'
BEGIN
  INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at)
  SELECT endpoint.id, NEW.id, NEW.occurred_at, NEW.occurred_at FROM webhook_endpoints AS endpoint
  WHERE endpoint.enabled = 1 AND EXISTS (SELECT 1 FROM json_each(endpoint.events) WHERE value = NEW.type);
END;

-- The articles whose publication was announced (article.published sent, or public before webhooks
-- existed). A scheduled article becomes public when the clock passes its time, with no write: the
-- server's scheduler announces public articles missing here; the triggers below announce the rest.
CREATE TABLE webhook_announced (
  article_id   INTEGER PRIMARY KEY,
  published_at TEXT NOT NULL
) STRICT;

INSERT INTO webhook_announced (article_id, published_at)
SELECT id, published_at FROM articles WHERE status = 'published' AND published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now');

CREATE TRIGGER webhooks_article_insert AFTER INSERT ON articles
WHEN NEW.status = 'published' AND NEW.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
BEGIN
  DELETE FROM webhook_announced WHERE article_id = NEW.id;
  INSERT INTO webhook_announced (article_id, published_at) VALUES (NEW.id, NEW.published_at);
  INSERT INTO webhook_events (type, article_id, article_slug, occurred_at)
  SELECT 'article.published', NEW.id, NEW.slug, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE 'article.published' IN webhook_subscriptions;
END;

-- One trigger, statements in this order: each event is decided on the state before the bookkeeping
-- below it. Comment counts and versions are not content: only these columns count.
CREATE TRIGGER webhooks_article_update AFTER UPDATE OF slug, title, status, published_at, sections ON articles
BEGIN
  INSERT INTO webhook_events (type, article_id, article_slug, previous_slug, occurred_at)
  SELECT 'article.updated', NEW.id, NEW.slug, iif(OLD.slug IS NOT NEW.slug, OLD.slug, NULL), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE NEW.status = 'published' AND NEW.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    AND EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = NEW.id)
    AND (OLD.slug IS NOT NEW.slug OR OLD.title IS NOT NEW.title OR OLD.sections IS NOT NEW.sections OR OLD.published_at IS NOT NEW.published_at)
    AND 'article.updated' IN webhook_subscriptions;
  INSERT INTO webhook_events (type, article_id, article_slug, previous_slug, occurred_at)
  SELECT 'article.unpublished', NEW.id, NEW.slug, iif(OLD.slug IS NOT NEW.slug, OLD.slug, NULL), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE NOT (NEW.status = 'published' AND NEW.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    AND EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = NEW.id)
    AND 'article.unpublished' IN webhook_subscriptions;
  INSERT INTO webhook_events (type, article_id, article_slug, previous_slug, occurred_at)
  SELECT 'article.published', NEW.id, NEW.slug, iif(OLD.slug IS NOT NEW.slug, OLD.slug, NULL), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE NEW.status = 'published' AND NEW.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    AND NOT EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = NEW.id)
    AND 'article.published' IN webhook_subscriptions;
  DELETE FROM webhook_announced
  WHERE article_id = NEW.id AND NOT (NEW.status = 'published' AND NEW.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  INSERT INTO webhook_announced (article_id, published_at)
  SELECT NEW.id, NEW.published_at
  WHERE NEW.status = 'published' AND NEW.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    AND NOT EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = NEW.id);
END;

CREATE TRIGGER webhooks_article_delete AFTER DELETE ON articles
WHEN EXISTS (SELECT 1 FROM webhook_announced WHERE article_id = OLD.id)
BEGIN
  DELETE FROM webhook_announced WHERE article_id = OLD.id;
  INSERT INTO webhook_events (type, article_id, article_slug, occurred_at)
  SELECT 'article.deleted', OLD.id, OLD.slug, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE 'article.deleted' IN webhook_subscriptions;
END;

-- Comments: ids only, never the commenter's email. Spam (the honeypot) is not news for anyone.
CREATE TRIGGER webhooks_comment_insert AFTER INSERT ON comments WHEN NEW.status <> 'spam'
BEGIN
  INSERT INTO webhook_events (type, article_id, article_slug, comment_id, occurred_at)
  SELECT 'comment.created', NEW.article_id, articles.slug, NEW.id, NEW.created_at FROM articles
  WHERE articles.id = NEW.article_id AND 'comment.created' IN webhook_subscriptions;
  INSERT INTO webhook_events (type, article_id, article_slug, comment_id, occurred_at)
  SELECT 'comment.approved', NEW.article_id, articles.slug, NEW.id, NEW.created_at FROM articles
  WHERE articles.id = NEW.article_id AND NEW.status = 'approved' AND 'comment.approved' IN webhook_subscriptions;
END;

CREATE TRIGGER webhooks_comment_approved AFTER UPDATE OF status ON comments WHEN NEW.status = 'approved' AND OLD.status <> 'approved'
BEGIN
  INSERT INTO webhook_events (type, article_id, article_slug, comment_id, occurred_at)
  SELECT 'comment.approved', NEW.article_id, articles.slug, NEW.id, NEW.updated_at FROM articles
  WHERE articles.id = NEW.article_id AND 'comment.approved' IN webhook_subscriptions;
END;

-- A comment deleted with its article is announced by article.deleted alone.
CREATE TRIGGER webhooks_comment_delete AFTER DELETE ON comments
BEGIN
  INSERT INTO webhook_events (type, article_id, article_slug, comment_id, occurred_at)
  SELECT 'comment.deleted', OLD.article_id, articles.slug, OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM articles
  WHERE articles.id = OLD.article_id AND 'comment.deleted' IN webhook_subscriptions;
END;
