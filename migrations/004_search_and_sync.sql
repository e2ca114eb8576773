-- Full-text search and the change log behind delta sync. Both are kept by triggers, so every path
-- that writes articles (the API, the importer, SQL by hand) keeps them exact in the same transaction.

-- One searchable document per article and per technique or benefit it lists. The keys mirror
-- article_entries' so that entry triggers find their document; an article's own document has
-- kind 'article' and position 0. Slugs of articles are read from articles at query time, so that
-- renaming one needs no write here.
CREATE TABLE search_documents (
  id         INTEGER PRIMARY KEY,
  article_id INTEGER NOT NULL,
  kind       TEXT    NOT NULL CHECK (kind IN ('article', 'techniques', 'benefits')),
  position   INTEGER NOT NULL,
  slug       TEXT,
  title      TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  UNIQUE (article_id, kind, position)
) STRICT;

-- External content: the index keeps only tokens; snippets are cut from search_documents.
CREATE VIRTUAL TABLE search_index USING fts5 (
  title,
  body,
  content = 'search_documents',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

CREATE TRIGGER search_documents_insert AFTER INSERT ON search_documents
BEGIN
  INSERT INTO search_index (rowid, title, body) VALUES (NEW.id, NEW.title, NEW.body);
END;

CREATE TRIGGER search_documents_delete AFTER DELETE ON search_documents
BEGIN
  INSERT INTO search_index (search_index, rowid, title, body) VALUES ('delete', OLD.id, OLD.title, OLD.body);
END;

CREATE TRIGGER search_documents_update AFTER UPDATE ON search_documents
BEGIN
  INSERT INTO search_index (search_index, rowid, title, body) VALUES ('delete', OLD.id, OLD.title, OLD.body);
  INSERT INTO search_index (rowid, title, body) VALUES (NEW.id, NEW.title, NEW.body);
END;

-- An article's searchable text: its headings, paragraphs and list items in reading order. Only these
-- keys: the other strings of the JSON are block types, list kinds and slugs, which no reader wrote.
CREATE VIEW article_search_text (id, title, body) AS
SELECT articles.id, articles.title,
  (SELECT coalesce(group_concat(node.value, char(10) ORDER BY node.id), '')
     FROM json_tree(articles.sections) AS node
    WHERE node.type = 'text' AND node.key IN ('heading', 'text', 'name', 'description'))
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

-- Not left to the foreign key cascade: a connection without foreign_keys=ON deletes no entries.
CREATE TRIGGER articles_search_delete AFTER DELETE ON articles
BEGIN
  DELETE FROM search_documents WHERE article_id = OLD.id;
END;

CREATE TRIGGER article_entries_search_insert AFTER INSERT ON article_entries
BEGIN
  INSERT INTO search_documents (article_id, kind, position, slug, title, body)
  VALUES (NEW.article_id, NEW.kind, NEW.position, NEW.slug, NEW.name, NEW.description);
END;

CREATE TRIGGER article_entries_search_update AFTER UPDATE ON article_entries
BEGIN
  UPDATE search_documents SET article_id = NEW.article_id, kind = NEW.kind, position = NEW.position, slug = NEW.slug, title = NEW.name, body = NEW.description
  WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position;
END;

CREATE TRIGGER article_entries_search_delete AFTER DELETE ON article_entries
BEGIN
  DELETE FROM search_documents WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position;
END;

INSERT INTO search_documents (article_id, kind, position, slug, title, body)
SELECT id, 'article', 0, NULL, title, body FROM article_search_text;

INSERT INTO search_documents (article_id, kind, position, slug, title, body)
SELECT article_id, kind, position, slug, name, description FROM article_entries;

-- Delta sync: the latest change of every article that was ever written, in the order of the changes.
-- A change is only "look at this article again": sync reads the article's state when it answers, and
-- one that is gone or not public is sent as a tombstone. AUTOINCREMENT: a sequence number is never
-- given twice, so a client's token never skips a change. Earlier changes of an article are replaced,
-- so the table has one row per article, deleted ones included.
CREATE TABLE content_changes (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id INTEGER NOT NULL UNIQUE,
  slug       TEXT    NOT NULL,
  changed_at TEXT    NOT NULL
) STRICT;

-- DELETE then INSERT rather than INSERT OR REPLACE: an outer statement's conflict clause (UPDATE OR
-- IGNORE ...) would override the trigger's own and could drop the change. Any update is a change,
-- comment_count included: commentCount is part of the article a client keeps.
CREATE TRIGGER articles_change_insert AFTER INSERT ON articles
BEGIN
  DELETE FROM content_changes WHERE article_id = NEW.id;
  INSERT INTO content_changes (article_id, slug, changed_at) VALUES (NEW.id, NEW.slug, strftime('%Y-%m-%dT%H:%M:%fZ'));
END;

CREATE TRIGGER articles_change_update AFTER UPDATE ON articles
BEGIN
  DELETE FROM content_changes WHERE article_id = NEW.id;
  INSERT INTO content_changes (article_id, slug, changed_at) VALUES (NEW.id, NEW.slug, strftime('%Y-%m-%dT%H:%M:%fZ'));
END;

CREATE TRIGGER articles_change_delete AFTER DELETE ON articles
BEGIN
  DELETE FROM content_changes WHERE article_id = OLD.id;
  INSERT INTO content_changes (article_id, slug, changed_at) VALUES (OLD.id, OLD.slug, strftime('%Y-%m-%dT%H:%M:%fZ'));
END;
