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

CREATE TRIGGER articles_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER article_entries_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_entries
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER comments_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON comments
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER catalog_occurrences_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_occurrences
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER catalog_entries_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_entries
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER search_documents_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_documents
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER content_changes_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON content_changes
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER last_public_states_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON last_public_states
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
CREATE TRIGGER article_previews_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_previews
FOR EACH STATEMENT EXECUTE FUNCTION notify_data_changed();
