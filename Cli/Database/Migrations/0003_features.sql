-- One row per (establishment, as-of date). Every feature uses only inspections strictly before
-- as_of_date (an as-of date is the morning of that day). Training snapshots carry a label; the cohort (the establishments to score on a run
-- date) does not. Both tables have the same feature columns, computed by the same code.
create schema features;

create table features.snapshots (
    as_of_date                  date not null,
    license                     text not null,
    facility_group              text not null,
    risk_level                  text not null,   -- high | medium | low | all | unknown
    area                        text not null,   -- zip grouped into a few areas (see Features/Areas.cs)
    zip                         text,
    days_since_last_inspection  real not null,
    days_since_first_inspection real not null,   -- age as known to the City
    inspections_before          real not null,
    fails_before                real not null,
    fail_share_before           real not null,
    last_result_fail            real not null,   -- 1 when the last pass/fail inspection failed
    last_result_conditions      real not null,   -- 1 when it was Pass w/ Conditions
    violations_at_last          real not null,
    critical_at_last            real not null,
    serious_at_last             real not null,
    complaints_before           real not null,
    reinspections_before        real not null,
    -- label: did the first pass/fail inspection in [as_of_date, as_of_date + window) fail? null: none in the window
    -- yet, which is the window still open on the run date (a row whose window closed without one is not stored)
    label_fail                  boolean,
    label_inspection_date       date,
    -- as_of_date + window: the first run date on which the label is final. Train at D only on rows
    -- with label_known_on <= D (a snapshot table rebuilt at a later date holds later labels too).
    label_known_on              date not null,
    primary key (as_of_date, license)
);

create table features.cohort (like features.snapshots including all);
alter table features.cohort drop column label_fail, drop column label_inspection_date, drop column label_known_on;
