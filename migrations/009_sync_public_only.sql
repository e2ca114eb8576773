-- Sync tells the public only about articles the public could see. The change log (004) says which
-- articles to look at again; this table says, per article, until when it was last public and under
-- which slug, so that a tombstone goes only to articles that were public at the token's time or later,
-- and carries the slug the public knew. A draft or a scheduled article whose time never came has no
-- row here: its slug is never sent.
--
-- A state was public while it was 'published' with a published_at that had come. Writes end states,
-- so each write that replaces a public state records the moment it ended: the app's clock when the
-- write sets updated_at (the API and the importer do), the database's clock otherwise (a deletion,
-- SQL by hand). One row per article: the latest public state is all a sync needs.
CREATE TABLE last_public_states (
  article_id INTEGER PRIMARY KEY,
  slug       TEXT NOT NULL,
  ended_at   TEXT NOT NULL
) STRICT;

-- DELETE then INSERT, as in 004: an outer statement's conflict clause must not drop the record.
CREATE TRIGGER articles_public_state_update AFTER UPDATE OF slug, status, published_at ON articles
WHEN OLD.status = 'published'
  AND OLD.published_at <= coalesce(nullif(NEW.updated_at, OLD.updated_at), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
BEGIN
  DELETE FROM last_public_states WHERE article_id = OLD.id;
  INSERT INTO last_public_states (article_id, slug, ended_at)
  VALUES (OLD.id, OLD.slug, coalesce(nullif(NEW.updated_at, OLD.updated_at), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
END;

CREATE TRIGGER articles_public_state_delete AFTER DELETE ON articles
WHEN OLD.status = 'published' AND OLD.published_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
BEGIN
  DELETE FROM last_public_states WHERE article_id = OLD.id;
  INSERT INTO last_public_states (article_id, slug, ended_at) VALUES (OLD.id, OLD.slug, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- What is known of the past: the revisions (003) of existing articles that were public when replaced.
INSERT INTO last_public_states (article_id, slug, ended_at)
SELECT article_id, slug, max(replaced_at) FROM article_revisions
WHERE status = 'published' AND published_at <= replaced_at
GROUP BY article_id;

-- Articles deleted before this migration left no history: whether they were ever public is unknown.
-- They keep the tombstone they had (a client must be able to drop a copy it may hold).
INSERT INTO last_public_states (article_id, slug, ended_at)
SELECT article_id, slug, changed_at FROM content_changes
WHERE article_id NOT IN (SELECT id FROM articles);
