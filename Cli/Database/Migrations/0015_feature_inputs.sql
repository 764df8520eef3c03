-- What each stored as-of date's features were computed from: a fingerprint of the clean inspections they read
-- (snapshots: those dated before as_of + the label window, features and label; fold cohorts: those dated before
-- as_of) and of the definition (the feature SQL and the settings that change a value). A features run recomputes an
-- as-of date only when either differs, so a weekly run computes the new dates and the cohort, not five years again;
-- a late or corrected record changes the fingerprint of every date it can reach, and those are recomputed.
create table features.inputs (
    kind        text not null check (kind in ('snapshots', 'fold_cohort')),
    as_of_date  date not null,
    fingerprint text not null,  -- rows read and the sum of their hashes
    definition  text not null,  -- SHA-256 of the feature definition and its settings
    computed_on date not null,  -- the run date that computed it (for people; never compared)
    primary key (kind, as_of_date)
);
