-- The source a database holds is the task engine's concern (every instance names its source), not the
-- ingest stage's: the engine refuses another source before running anything.
alter table raw.source set schema pipeline;
