-- Ingested records as received, and the typed, normalised inspections and establishments.
create schema raw;
create schema clean;

-- One row per inspection id, every source field as received (text), plus the two fields the
-- incremental load keys on, parsed. A republished record with changes replaces the stored one:
-- ingest_run_id names the run that last changed it, revisions counts the changes.
create table raw.inspections (
    inspection_id    bigint primary key,
    inspection_date  date not null,
    inspection_id_text text not null,
    dba_name         text,
    aka_name         text,
    license          text,
    facility_type    text,
    risk             text,
    address          text,
    city             text,
    state            text,
    zip              text,
    inspection_date_text text not null,
    inspection_type  text,
    results          text,
    violations       text,
    latitude         text,
    longitude        text,
    location         text,        -- "(lat, lon)" from a CSV export, the JSON object from the API
    extra            jsonb,       -- keys the source sent that have no column (e.g. :@computed_region_*)
    ingest_run_id    uuid not null,
    first_run_id     uuid not null,
    revisions        integer not null default 0
);
create index on raw.inspections (inspection_date, inspection_id);

-- Records that could not be stored, with the reason; one row per record per ingest run.
create table raw.rejects (
    run_date         date not null,   -- the ingest task's date and source: a forced re-run replaces its rejects
    source           text not null,
    ingest_run_id    uuid not null,
    record_number    bigint not null, -- position in the file or the API response, from 1
    inspection_id_text text,
    reason           text not null,
    record           jsonb not null
);
create index on raw.rejects (run_date, source);

-- Typed, normalised inspections of establishments (rows with an empty or 0 license are left out).
create table clean.inspections (
    inspection_id     bigint primary key,
    license           text not null,
    name              text,          -- DBA name, else AKA name
    aka               text,
    address           text,
    zip               text,          -- five digits or null
    latitude          double precision,
    longitude         double precision,
    facility_type_raw text,
    facility_group    text not null, -- see Cleaning/FacilityGroups.cs
    risk_level        text not null, -- high | medium | low | all | unknown
    inspection_date   date not null,
    inspection_type_raw text,
    inspection_type   text not null, -- canvass | complaint | license | food-poisoning | task-force | consultation | other
    is_canvass        boolean not null,
    is_complaint      boolean not null,
    is_license        boolean not null,
    is_reinspection   boolean not null,
    result_raw        text,
    outcome           text not null, -- fail | pass | none
    passed_with_conditions boolean not null,
    closes_business   boolean not null, -- Out of Business / Business Not Located
    violations_total  integer not null,
    violations_critical integer not null,
    violations_serious  integer not null,
    violations_minor    integer not null,
    violations_other    integer not null,
    has_violation_text boolean not null, -- false: the source had no violations text (counts are then 0, not known 0)
    source_run_id     uuid not null      -- raw.inspections.ingest_run_id this row was cleaned from
);
create index on clean.inspections (license, inspection_date, inspection_id);
create index on clean.inspections (inspection_date);

-- No foreign key to clean.inspections: its per-row trigger cost more than the rest of the load;
-- clean deletes an inspection's violations itself when it deletes the inspection.
create table clean.violations (
    inspection_id bigint not null,
    position      integer not null,   -- order within the inspection, from 1
    number        integer,            -- the City's violation number, null when unreadable
    severity      text not null,      -- critical | serious | minor | other | unknown (see Cleaning/ViolationSeverity.cs)
    title         text,
    comments      text,
    primary key (inspection_id, position)
);

create table clean.establishments (
    license              text primary key,
    name                 text,
    address              text,
    zip                  text,
    facility_group       text not null,
    risk_level           text not null,
    first_inspection_date date not null,
    last_inspection_date  date not null,
    inspections          integer not null,
    status               text not null -- active | closed (latest inspection: Out of Business / Business Not Located)
);
