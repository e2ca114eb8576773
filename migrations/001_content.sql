-- Articles are stored as documents (their sections as JSON); article_entries indexes the
-- techniques and benefits of every article so that the catalogs are plain indexed queries.
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Signs pagination cursors; shared by every process that opens this database.
INSERT INTO settings (name, value) VALUES ('cursor_secret', lower(hex(randomblob(32))));

CREATE TABLE articles (
  id                   INTEGER PRIMARY KEY,
  slug                 TEXT    NOT NULL UNIQUE,
  title                TEXT    NOT NULL,
  summary              TEXT    NOT NULL,
  status               TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
  published_at         TEXT,
  created_at           TEXT    NOT NULL,
  updated_at           TEXT    NOT NULL,
  word_count           INTEGER NOT NULL,
  reading_time_minutes INTEGER NOT NULL,
  sections             TEXT    NOT NULL CHECK (json_valid(sections)),
  CHECK (status = 'draft' OR published_at IS NOT NULL)
) STRICT;

-- The public list: published articles, newest first, id as the tie-breaker.
CREATE INDEX articles_published ON articles (published_at DESC, id DESC) WHERE status = 'published';

CREATE TABLE article_entries (
  article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL CHECK (kind IN ('techniques', 'benefits')),
  position    INTEGER NOT NULL CHECK (position >= 1),
  slug        TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  description TEXT    NOT NULL,
  PRIMARY KEY (article_id, kind, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX article_entries_catalog ON article_entries (kind, slug, article_id);
