-- TEMPORARY: the reference cohort the model work (its own migration) adds and fills in train/select. Until
-- that lands, this creates the same table so monitoring can be built on it; "if not exists" leaves theirs alone.
create table if not exists models.reference_cohort (
    model_id    text not null references models.registry (model_id) on delete cascade,
    as_of_date  date not null,
    license     text not null,
    score       double precision not null,
    features    double precision[] not null, -- raw feature values, in models.registry.features order
    primary key (model_id, as_of_date, license)
);
