-- Who wrote an article, as the byline of an imported text names them; NULL when unknown. Like the
-- status, it is not part of a revision: a restore keeps the current author.
ALTER TABLE articles ADD COLUMN author TEXT CHECK (author IS NULL OR length(author) BETWEEN 1 AND 200);
