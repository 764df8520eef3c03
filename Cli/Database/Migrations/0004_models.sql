-- Candidates and their fold metrics (train), the model registry (select), and the bias audit (bias).
create schema models;

create table models.candidate_folds (
    train_date        date not null,            -- the run date of the train task
    candidate         text not null,            -- e.g. lightgbm(leaves=16, trees=200)
    algorithm         text not null,            -- baseline-risk | logistic | fasttree | lightgbm
    hyper_parameters  jsonb not null,
    fold              integer not null,
    fold_start        date not null,            -- first as-of date validated
    fold_end          date not null,            -- last as-of date validated
    train_rows        integer not null,
    valid_rows        integer not null,
    valid_positives   integer not null,
    roc_auc           double precision,
    precision_at_5    double precision,
    precision_at_10   double precision,
    precision_at_20   double precision,
    recall_at_5       double precision,
    recall_at_10      double precision,
    recall_at_20      double precision,
    brier             double precision,
    primary key (train_date, candidate, fold)
);

create table models.registry (
    model_id              text primary key,
    trained_on            date not null,        -- the run date of the select task that stored it
    task_parameters       jsonb not null,       -- the select task's parameters (to name it as an upstream instance)
    candidate             text not null,
    algorithm             text not null,
    hyper_parameters      jsonb not null,
    training_window_start date not null,        -- first as-of date in the refit
    training_window_end   date not null,        -- last as-of date in the refit (label window closed by trained_on)
    training_rows         integer not null,
    features              jsonb not null,       -- ordered feature names
    fold_metrics          jsonb not null,       -- per fold: roc_auc, precision/recall at k, brier
    selection_metric      text not null,
    selection_value       double precision not null,
    threshold             double precision not null,
    threshold_rule        text not null,
    model                 bytea not null,       -- the ML.NET model zip (empty for the baseline)
    model_sha256          text not null,
    run_id                uuid not null,
    created_at            timestamptz not null default now()
);
create index registry_by_date on models.registry (trained_on desc, created_at desc);

-- The selected model's scores on its latest validation fold: the reference distribution for monitoring.
create table models.validation_scores (
    model_id    text not null references models.registry (model_id) on delete cascade,
    as_of_date  date not null,
    license     text not null,
    score       double precision not null,
    label_fail  boolean not null,
    primary key (model_id, as_of_date, license)
);

create table models.bias_audit (
    model_id                 text not null references models.registry (model_id) on delete cascade,
    attribute                text not null,     -- facility_group | risk_level | area
    group_value              text not null,
    is_reference             boolean not null,  -- the largest group of the attribute
    group_size               integer not null,
    -- rates are null where their denominator is zero (e.g. tpr/fnr of a group without any fail), never 0
    prevalence               double precision,  -- fails / group size
    predicted_positive_rate  double precision,  -- flagged (score >= threshold) / group size (Aequitas "pprev")
    tpr                      double precision,
    fpr                      double precision,
    fnr                      double precision,
    fdr                      double precision,
    false_omission_rate      double precision,
    precision                double precision,
    -- each metric divided by the reference group's; parity when within [0.8, 1.25]
    ppr_disparity            double precision,
    tpr_disparity            double precision,
    fpr_disparity            double precision,
    fnr_disparity            double precision,
    fdr_disparity            double precision,
    for_disparity            double precision,
    precision_disparity      double precision,
    primary key (model_id, attribute, group_value)
);
