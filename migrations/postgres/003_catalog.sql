-- Catalog tables kept by triggers, so that /v1/techniques and /v1/benefits read a page of rows instead
-- of grouping every list entry of every article.
--
-- catalog_occurrences holds every list entry of every article whose status is 'published', with the
-- article's published_at: scheduled articles are in it, and a query keeps only rows whose time has
-- come, so a scheduled article joins the catalogs at its time with no write. Its key is the order the
-- catalog detail is read in (oldest publication first), so a page is a seek.
CREATE TABLE catalog_occurrences (
  kind         text COLLATE "C" NOT NULL,
  slug         text COLLATE "C" NOT NULL,
  published_at text COLLATE "C" NOT NULL,
  article_id   integer NOT NULL,
  position     integer NOT NULL,
  name         text COLLATE "C" NOT NULL,
  description  text COLLATE "C" NOT NULL,
  PRIMARY KEY (kind, slug, published_at, article_id, position)
);

CREATE INDEX catalog_occurrences_article ON catalog_occurrences (article_id, kind, position);

-- One row per slug with how many articles of catalog_occurrences list it. The public count is this
-- minus the scheduled ones, which a query counts over the few rows with a future published_at.
CREATE TABLE catalog_entries (
  kind          text COLLATE "C" NOT NULL,
  slug          text COLLATE "C" NOT NULL,
  article_count integer NOT NULL CHECK (article_count >= 0),
  PRIMARY KEY (kind, slug)
);

-- An article may list one slug twice: it counts once. SQLite's row triggers run as each row is written,
-- so "does another occurrence of this article exist" sees only the rows written before it. PostgreSQL
-- runs AFTER ROW triggers when the whole statement is done, when every row of the statement is already
-- there: asked row by row, an article listing a slug twice in one statement would count zero times.
-- So the counts are kept per statement, over its transition table: an (article, slug) pair of the
-- statement counts once, and only if no occurrence of it is left from before the statement.
CREATE FUNCTION catalog_occurrences_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_entries AS entry (kind, slug, article_count)
  SELECT kind, slug, count(*) FROM (
    SELECT DISTINCT added.kind, added.slug, added.article_id FROM added
    WHERE NOT EXISTS (
      SELECT 1 FROM catalog_occurrences AS o
      WHERE o.kind = added.kind AND o.slug = added.slug AND o.published_at = added.published_at AND o.article_id = added.article_id
        AND NOT EXISTS (
          SELECT 1 FROM added AS same
          WHERE same.kind = o.kind AND same.slug = o.slug AND same.published_at = o.published_at
            AND same.article_id = o.article_id AND same.position = o.position))
  ) AS newly_listed
  GROUP BY kind, slug
  ON CONFLICT (kind, slug) DO UPDATE SET article_count = entry.article_count + excluded.article_count;
  RETURN NULL;
END
$$;

CREATE TRIGGER catalog_occurrences_count_insert AFTER INSERT ON catalog_occurrences
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION catalog_occurrences_count_insert();

-- After the statement, an (article, slug) pair it removed that has no occurrence left counts one less.
CREATE FUNCTION catalog_occurrences_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_entries AS entry SET article_count = entry.article_count - gone.articles
  FROM (
    SELECT kind, slug, count(*) AS articles FROM (
      SELECT DISTINCT removed.kind, removed.slug, removed.article_id FROM removed
      WHERE NOT EXISTS (
        SELECT 1 FROM catalog_occurrences AS o
        WHERE o.kind = removed.kind AND o.slug = removed.slug AND o.published_at = removed.published_at AND o.article_id = removed.article_id)
    ) AS unlisted
    GROUP BY kind, slug
  ) AS gone
  WHERE entry.kind = gone.kind AND entry.slug = gone.slug;
  DELETE FROM catalog_entries AS entry USING (SELECT DISTINCT kind, slug FROM removed) AS touched
  WHERE entry.kind = touched.kind AND entry.slug = touched.slug AND entry.article_count = 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER catalog_occurrences_count_delete AFTER DELETE ON catalog_occurrences
REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION catalog_occurrences_count_delete();

-- An entry of a published article is an occurrence. An article's entries are written in one statement
-- (up to 500 rows): the entries triggers work per statement, over its transition table, so that its
-- occurrences are written (and counted, above) in one statement too.
CREATE FUNCTION article_entries_catalog_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT added.kind, added.slug, articles.published_at, added.article_id, added.position, added.name, added.description
  FROM added JOIN articles ON articles.id = added.article_id AND articles.status = 'published';
  RETURN NULL;
END
$$;

CREATE TRIGGER article_entries_catalog_insert AFTER INSERT ON article_entries
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION article_entries_catalog_insert();

-- The old occurrence is found by article, kind and position (catalog_occurrences_article). An update
-- stays per row: an UPDATE's transition tables do not pair each old row with its new one.
CREATE FUNCTION article_entries_catalog_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = OLD.article_id AND kind = OLD.kind AND position = OLD.position;
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT NEW.kind, NEW.slug, published_at, NEW.article_id, NEW.position, NEW.name, NEW.description
  FROM articles WHERE id = NEW.article_id AND status = 'published';
  RETURN NULL;
END
$$;

CREATE TRIGGER article_entries_catalog_update AFTER UPDATE ON article_entries
FOR EACH ROW EXECUTE FUNCTION article_entries_catalog_update();

CREATE FUNCTION article_entries_catalog_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalog_occurrences AS o USING removed
  WHERE o.article_id = removed.article_id AND o.kind = removed.kind AND o.position = removed.position;
  RETURN NULL;
END
$$;

CREATE TRIGGER article_entries_catalog_delete AFTER DELETE ON article_entries
REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION article_entries_catalog_delete();

-- Publishing, unpublishing or rescheduling moves all of the article's occurrences.
CREATE FUNCTION articles_catalog_publication() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = NEW.id;
  INSERT INTO catalog_occurrences (kind, slug, published_at, article_id, position, name, description)
  SELECT kind, slug, NEW.published_at, article_id, position, name, description
  FROM article_entries WHERE article_id = NEW.id AND NEW.status = 'published';
  RETURN NULL;
END
$$;

CREATE TRIGGER articles_catalog_publication AFTER UPDATE OF status, published_at ON articles
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at)
EXECUTE FUNCTION articles_catalog_publication();

-- The entries' cascade removes the occurrences too; this says so for a reader of this file alone and
-- keeps the catalogs right whatever order the deletions run in.
CREATE FUNCTION articles_catalog_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalog_occurrences WHERE article_id = OLD.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER articles_catalog_delete AFTER DELETE ON articles
FOR EACH ROW EXECUTE FUNCTION articles_catalog_delete();
