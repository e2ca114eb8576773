-- API keys for editors and integrations. Only a SHA-256 digest of each key is kept: the key itself
-- is shown once, when it is made, and cannot be read back from the database.
CREATE TABLE api_keys (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  digest     TEXT NOT NULL UNIQUE,
  scopes     TEXT NOT NULL CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;

-- A scheduled article is stored as 'published' with a future published_at: it becomes public when
-- the clock passes that time, with no job to flip it. version counts saved changes.
ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- The versions an article had before each saved change.
CREATE TABLE article_revisions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  slug         TEXT    NOT NULL,
  title        TEXT    NOT NULL,
  status       TEXT    NOT NULL,
  published_at TEXT,
  sections     TEXT    NOT NULL CHECK (json_valid(sections)),
  saved_at     TEXT    NOT NULL,
  replaced_at  TEXT    NOT NULL,
  UNIQUE (article_id, version)
) STRICT;

-- Every path that changes an article (the API, the importer, SQL by hand) keeps the version it
-- replaces; comment counts changing are not a new version.
CREATE TRIGGER articles_keep_revision AFTER UPDATE OF slug, title, status, published_at, sections ON articles
WHEN OLD.slug IS NOT NEW.slug OR OLD.title IS NOT NEW.title OR OLD.status IS NOT NEW.status OR OLD.published_at IS NOT NEW.published_at OR OLD.sections IS NOT NEW.sections
BEGIN
  INSERT INTO article_revisions (article_id, version, slug, title, status, published_at, sections, saved_at, replaced_at)
  VALUES (OLD.id, OLD.version, OLD.slug, OLD.title, OLD.status, OLD.published_at, OLD.sections, OLD.updated_at, NEW.updated_at);
  UPDATE articles SET version = OLD.version + 1 WHERE id = NEW.id;
END;

-- The public list sorted by title, as `sort=title` and `sort=-title` read it.
CREATE INDEX articles_published_title ON articles (title COLLATE NOCASE, id) WHERE status = 'published';

-- When the article's comment count last changed. commentCount is part of the article as it is served,
-- so its Last-Modified is the latest of this, updated_at and the time it was published.
ALTER TABLE articles ADD COLUMN comments_changed_at TEXT;

CREATE TRIGGER comments_changed_insert AFTER INSERT ON comments WHEN NEW.status = 'approved'
BEGIN
  UPDATE articles SET comments_changed_at = NEW.created_at WHERE id = NEW.article_id;
END;

CREATE TRIGGER comments_changed_status AFTER UPDATE OF status ON comments
WHEN (OLD.status = 'approved') <> (NEW.status = 'approved')
BEGIN
  UPDATE articles SET comments_changed_at = NEW.updated_at WHERE id = NEW.article_id;
END;

-- A deletion carries no time of its own: the database's clock stands in.
CREATE TRIGGER comments_changed_delete AFTER DELETE ON comments WHEN OLD.status = 'approved'
BEGIN
  UPDATE articles SET comments_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = OLD.article_id;
END;
