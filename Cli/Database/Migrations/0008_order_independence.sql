-- A task instance's outputs depend only on its date and the source's records dated up to it,
-- whatever ran before or after it (docs/data-model.md). Tables shared by every date only grow,
-- and every reader filters them by date; what an establishment is on a date comes with that date's cohort.

-- The one source whose records this database holds. Written by the first ingest that stores records;
-- every pipeline verb refuses another source, because task instances name their source while the
-- raw, clean and features tables hold one dataset.
create table raw.source (
    source        text not null,
    first_run_id  uuid not null,     -- the ingest run that first stored records from it
    bound_at      timestamptz not null default now(),
    single        boolean primary key default true check (single)
);

insert into raw.source (source, first_run_id, bound_at)
select m.parameters ->> 'source', m.run_id, m.finished_at
from pipeline.task_metadata m
where m.task = 'ingest' and exists (select 1 from raw.inspections)
order by m.finished_at
limit 1;

-- "The latest clean run's establishments" belonged to no date: a backfill rewrote them under later dates.
drop table clean.establishments;

-- The establishment as known on the as-of date (its last inspection before it): what store-api serves.
alter table features.cohort add column name text, add column address text;

-- Snapshots are stored once their label window has closed, and never depend on the run date after that.
-- Rows of still-open windows (null labels) were only ever provisional.
delete from features.snapshots where label_fail is null;
