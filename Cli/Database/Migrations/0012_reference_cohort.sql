-- The reference monitoring compares new predictions against: the selected model's out-of-sample scores on the whole
-- cohort of each validation fold's as-of date (every active establishment, inspected in the label window or not), each
-- score made by the model trained for that fold on what was known before it (docs/training.md).

-- The whole cohort of the as-of dates train validates on (the last Training:Folds x FoldAsOfDates snapshot dates), as
-- the features task computes it: the features of every active establishment, by the one definition of features.cohort.
-- A fold date's rows are a function of the records before it, so each features run replaces those of its fold dates
-- and leaves older ones alone, as it does the snapshots.
create table features.fold_cohort (like features.snapshots including all);
alter table features.fold_cohort drop column label_fail, drop column label_inspection_date, drop column label_known_on;

-- Train's scores of every fold date's whole cohort by the best candidate's fold models, with the raw features they
-- scored; select copies the selected candidate's into models.reference_cohort.
create table models.candidate_cohort_scores (
    train_date  date not null,
    candidate   text not null,
    as_of_date  date not null,
    license     text not null,
    score       double precision not null,
    features    double precision[] not null,
    primary key (train_date, candidate, as_of_date, license)
);

-- features: the numeric features, in models.registry.features order (that list's numeric prefix: the categorical
-- columns after it, facility_group, risk_level and area, are text and are in features.fold_cohort).
create table models.reference_cohort (
    model_id    text not null references models.registry (model_id) on delete cascade,
    as_of_date  date not null,           -- a validation fold's as-of date
    license     text not null,
    score       double precision not null, -- that fold's own model's out-of-sample score
    features    double precision[] not null, -- the model's raw (untransformed) feature values, in models.registry.features order
    primary key (model_id, as_of_date, license)
);
