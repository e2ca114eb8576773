-- Cross-node cache invalidation. Each node keeps prepared public answers until the data may have
-- changed; with several nodes on one database, a node must hear of another's writes. Every statement
-- that changes a table a public GET reads sends a notification on channel 'spa_data_changed' (payload
-- empty: a node drops what it prepared, it does not need to know what changed). PostgreSQL delivers
-- notifications at commit only, and folds identical ones of one transaction into one: a node that
-- LISTENs hears of a change exactly when it becomes visible, once per transaction, and never of one
-- rolled back. TRUNCATE is covered too (statement triggers only).
CREATE FUNCTION notify_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('spa_data_changed', '');
  RETURN NULL;
END
$$;

-- The tables the public GETs read, directly or through their triggers' bookkeeping.
DO $$
DECLARE
  public_table text;
BEGIN
  FOREACH public_table IN ARRAY ARRAY['articles', 'article_entries', 'comments', 'catalog_occurrences', 'catalog_entries',
    'search_documents', 'content_changes', 'last_public_states', 'article_previews'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed()',
      public_table || '_notify', public_table);
  END LOOP;
END
$$;
