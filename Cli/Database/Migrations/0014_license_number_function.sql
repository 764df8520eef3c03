-- The one definition of a licence number as clean reads it: trimmed, a trailing ".0" (a spreadsheet's
-- float) dropped, leading zeros dropped; empty or all zeros is no licence (null). A plain SQL function,
-- immutable, so PostgreSQL inlines it into the queries that call it: no cost over the expression itself.
create function clean.license_number(raw text) returns text
language sql immutable parallel safe
as $$ select nullif(ltrim(regexp_replace(btrim(raw), '\.0+$', ''), '0'), '') $$;
