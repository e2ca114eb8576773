-- 005's triggers that remove one list entry's catalog occurrence named it by (article_id, kind,
-- position). SQLite's planner (3.53, as better-sqlite3 bundles it) takes catalog_occurrences' primary
-- key for that DELETE, seeking only on `kind`: every deleted entry walked every occurrence of its kind
-- in every article. Shrinking or deleting an article of 4,000 list items took 6 s at 3,000 articles
-- (and grows with the catalog). The occurrence is found on catalog_occurrences_article first and then
-- deleted by its whole primary key: two seeks, whichever SQLite plans it (3.40's shell too).
DROP TRIGGER article_entries_catalog_update;
DROP TRIGGER article_entries_catalog_delete;

CREATE TRIGGER article_entries_catalog_update AFTER UPDATE ON article_entries
BEGIN
  DELETE FROM catalog_occurrences WHERE (kind, slug, published_at, article_id, position) = (
    SELECT kind, slug, published_at, article_id, position FROM catalog_occurrences
    WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position);
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT NEW.kind, NEW.slug, published_at, NEW.article_id, NEW.position, NEW.name, NEW.description
  FROM articles WHERE id = NEW.article_id AND status = 'published';
END;

CREATE TRIGGER article_entries_catalog_delete AFTER DELETE ON article_entries
BEGIN
  DELETE FROM catalog_occurrences WHERE (kind, slug, published_at, article_id, position) = (
    SELECT kind, slug, published_at, article_id, position FROM catalog_occurrences
    WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position);
END;
