-- The editors' list (GET /v1/editorial/articles) pages every article, newest change first: an index in
-- that order makes each page a seek instead of a sort of the whole table.
CREATE INDEX articles_changed ON articles (updated_at DESC, id DESC);
