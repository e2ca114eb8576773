-- Placeholder on the webhooks branch only, so that 008 applies (migrations have no gaps): the lead
-- drops this file when merging, in favour of the real 006 from its own branch.
SELECT 1;
