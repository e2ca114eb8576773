-- Two things: the schema made readable by SQLite 3.40 (the sqlite3 shell Debian ships), and catalog
-- tables kept by triggers so that /v1/techniques and /v1/benefits read a page of rows instead of
-- grouping every list entry of every article.

-- 004's view used group_concat(... ORDER BY ...), which only SQLite 3.44 and later can parse: an older
-- shell refuses the whole database ("malformed database schema"). json_tree yields the nodes in
-- document order (ascending id), and the inner ORDER BY says so again. The triggers that read the view
-- are made again with it.
DROP TRIGGER articles_search_insert;
DROP TRIGGER articles_search_update;
DROP VIEW article_search_text;

CREATE VIEW article_search_text (id, title, body) AS
SELECT articles.id, articles.title,
  (SELECT coalesce(group_concat(text.value, char(10)), '')
     FROM (SELECT node.value AS value FROM json_tree(articles.sections) AS node
            WHERE node.type = 'text' AND node.key IN ('heading', 'text', 'name', 'description')
            ORDER BY node.id) AS text)
FROM articles;

CREATE TRIGGER articles_search_insert AFTER INSERT ON articles
BEGIN
  INSERT INTO search_documents (article_id, kind, position, slug, title, body)
  SELECT id, 'article', 0, NULL, title, body FROM article_search_text WHERE id = NEW.id;
END;

CREATE TRIGGER articles_search_update AFTER UPDATE OF title, sections ON articles
BEGIN
  UPDATE search_documents SET (title, body) = (SELECT title, body FROM article_search_text WHERE id = NEW.id)
  WHERE article_id = NEW.id AND kind = 'article';
END;

-- The catalogs. catalog_occurrences holds every list entry of every article whose status is
-- 'published', with the article's published_at: scheduled articles are in it, and a query keeps only
-- rows whose time has come, so a scheduled article joins the catalogs at its time with no write.
-- Its key is the order the catalog detail is read in (oldest publication first), so a page is a seek.
CREATE TABLE catalog_occurrences (
  kind         TEXT    NOT NULL,
  slug         TEXT    NOT NULL,
  published_at TEXT    NOT NULL,
  article_id   INTEGER NOT NULL,
  position     INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  description  TEXT    NOT NULL,
  PRIMARY KEY (kind, slug, published_at, article_id, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX catalog_occurrences_article ON catalog_occurrences (article_id, kind, position);

-- One row per slug with how many articles of catalog_occurrences list it. The public count is this
-- minus the scheduled ones, which a query counts over the few rows with a future published_at.
CREATE TABLE catalog_entries (
  kind          TEXT    NOT NULL,
  slug          TEXT    NOT NULL,
  article_count INTEGER NOT NULL CHECK (article_count >= 0),
  PRIMARY KEY (kind, slug)
) STRICT, WITHOUT ROWID;

INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
SELECT e.kind, e.slug, a.published_at, e.article_id, e.position, e.name, e.description
FROM article_entries AS e JOIN articles AS a ON a.id = e.article_id
WHERE a.status = 'published';

INSERT INTO catalog_entries (kind, slug, article_count)
SELECT kind, slug, count(DISTINCT article_id) FROM catalog_occurrences GROUP BY kind, slug;

-- An article may list one slug twice: it counts once. Every occurrence of an article has the
-- article's published_at, so "another occurrence of this article" is one index seek. The insert that
-- makes a missing entry has no conflict to resolve: an outer INSERT OR REPLACE cannot turn it into a
-- replacement that would reset a count.
CREATE TRIGGER catalog_occurrences_count_insert AFTER INSERT ON catalog_occurrences
BEGIN
  INSERT INTO catalog_entries (kind, slug, article_count)
  SELECT NEW.kind, NEW.slug, 0 WHERE NOT EXISTS (SELECT 1 FROM catalog_entries WHERE kind = NEW.kind AND slug = NEW.slug);
  UPDATE catalog_entries SET article_count = article_count + 1
  WHERE kind = NEW.kind AND slug = NEW.slug AND NOT EXISTS (
    SELECT 1 FROM catalog_occurrences
    WHERE kind = NEW.kind AND slug = NEW.slug AND published_at = NEW.published_at AND article_id = NEW.article_id AND position <> NEW.position);
END;

CREATE TRIGGER catalog_occurrences_count_delete AFTER DELETE ON catalog_occurrences
BEGIN
  UPDATE catalog_entries SET article_count = article_count - 1
  WHERE kind = OLD.kind AND slug = OLD.slug AND NOT EXISTS (
    SELECT 1 FROM catalog_occurrences
    WHERE kind = OLD.kind AND slug = OLD.slug AND published_at = OLD.published_at AND article_id = OLD.article_id);
  DELETE FROM catalog_entries WHERE kind = OLD.kind AND slug = OLD.slug AND article_count = 0;
END;

CREATE TRIGGER article_entries_catalog_insert AFTER INSERT ON article_entries
BEGIN
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT NEW.kind, NEW.slug, published_at, NEW.article_id, NEW.position, NEW.name, NEW.description
  FROM articles WHERE id = NEW.article_id AND status = 'published';
END;

CREATE TRIGGER article_entries_catalog_update AFTER UPDATE ON article_entries
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position;
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT NEW.kind, NEW.slug, published_at, NEW.article_id, NEW.position, NEW.name, NEW.description
  FROM articles WHERE id = NEW.article_id AND status = 'published';
END;

CREATE TRIGGER article_entries_catalog_delete AFTER DELETE ON article_entries
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position;
END;

CREATE TRIGGER articles_catalog_publication AFTER UPDATE OF status, published_at ON articles
WHEN OLD.status IS NOT NEW.status OR OLD.published_at IS NOT NEW.published_at
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = NEW.id;
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT kind, slug, NEW.published_at, article_id, position, name, description
  FROM article_entries WHERE article_id = NEW.id AND NEW.status = 'published';
END;

-- Not left to the foreign key cascade: a connection without foreign_keys=ON deletes no entries.
CREATE TRIGGER articles_catalog_delete AFTER DELETE ON articles
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = OLD.id;
END;
