-- The task engine's tables: run history (every attempt), check results, and metadata
-- (one row per successful run; an instance is complete when its key has a metadata row).
create schema pipeline;

create table pipeline.task_runs (
    run_id          uuid primary key,
    task            text not null,
    task_key        text not null,
    parameters      jsonb not null,
    state           text not null check (state in ('succeeded', 'failed')),
    started_at      timestamptz not null,
    finished_at     timestamptz not null,
    -- failed runs: what went wrong, and the marbles-style report printed to the console
    error           text,
    failure_report  text
);
create index task_runs_by_key on pipeline.task_runs (task_key, started_at desc);
create index task_runs_by_time on pipeline.task_runs (started_at desc);

create table pipeline.check_results (
    run_id          uuid not null references pipeline.task_runs (run_id) on delete cascade,
    check_name      text not null,
    passed          boolean not null,
    assertion       text not null,
    expected        text not null,
    actual          text not null,
    note            text not null,
    locals          jsonb not null,
    offending_keys  jsonb not null,
    primary key (run_id, check_name)
);

create table pipeline.task_metadata (
    run_id          uuid primary key references pipeline.task_runs (run_id),
    task            text not null,
    task_key        text not null,
    parameters      jsonb not null,
    started_at      timestamptz not null,
    finished_at     timestamptz not null,
    duration_ms     double precision not null,
    rows_written    bigint not null,
    host            text not null,
    os_user         text not null,
    product_version text not null,
    product_commit  text not null,
    figures         jsonb not null
);
create index task_metadata_by_key on pipeline.task_metadata (task_key, finished_at desc);
