-- Reader comments. Counters are kept by triggers in the same transaction as the change that
-- moves a comment into or out of 'approved', so commentCount and replyCount are always exact.
ALTER TABLE articles ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE comments (
  -- AUTOINCREMENT: a deleted comment's id is never given to another (replayed answers name it).
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  -- A deleted parent leaves its replies in place, as top-level comments.
  parent_id    INTEGER REFERENCES comments (id) ON DELETE SET NULL,
  author_name  TEXT    NOT NULL,
  author_email TEXT    NOT NULL,
  author_url   TEXT,
  body         TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'rejected')),
  reply_count  INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT    NOT NULL,
  updated_at   TEXT    NOT NULL
) STRICT;

CREATE INDEX comments_public ON comments (article_id, id) WHERE status = 'approved';
CREATE INDEX comments_moderation ON comments (status, id);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_duplicates ON comments (article_id, author_email, created_at);

CREATE TRIGGER comments_count_insert AFTER INSERT ON comments WHEN NEW.status = 'approved'
BEGIN
  UPDATE articles SET comment_count = comment_count + 1 WHERE id = NEW.article_id;
  UPDATE comments SET reply_count = reply_count + 1 WHERE id = NEW.parent_id;
END;

CREATE TRIGGER comments_count_delete AFTER DELETE ON comments WHEN OLD.status = 'approved'
BEGIN
  UPDATE articles SET comment_count = comment_count - 1 WHERE id = OLD.article_id;
  UPDATE comments SET reply_count = reply_count - 1 WHERE id = OLD.parent_id;
END;

CREATE TRIGGER comments_count_status AFTER UPDATE OF status ON comments
WHEN (OLD.status = 'approved') <> (NEW.status = 'approved')
BEGIN
  UPDATE articles SET comment_count = comment_count + iif(NEW.status = 'approved', 1, -1) WHERE id = NEW.article_id;
  UPDATE comments SET reply_count = reply_count + iif(NEW.status = 'approved', 1, -1) WHERE id = NEW.parent_id;
END;

-- Answers to POSTs sent with an Idempotency-Key, replayed for a retry of the same request.
CREATE TABLE idempotency_keys (
  scope        TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  request_hash TEXT    NOT NULL,
  status_code  INTEGER NOT NULL,
  headers      TEXT    NOT NULL CHECK (json_valid(headers)),
  body         TEXT    NOT NULL,
  created_at   TEXT    NOT NULL,
  PRIMARY KEY (scope, key)
) STRICT;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);
