-- Monitoring against a like-for-like reference: feature drift per monitored date (monitor), realised
-- performance per prediction date once its label window closed (evaluate), and calibration by score decile.

alter table monitoring.drift
    add column score_status       text not null default 'ok' check (score_status in ('ok', 'warn', 'alert')),
    add column feature_status     text not null default 'ok' check (feature_status in ('ok', 'warn', 'alert')),
    add column performance_status text not null default 'ok' check (performance_status in ('ok', 'warn', 'alert')),
    add column reference_dates    integer not null default 0,          -- as-of dates of the reference cohort
    add column reference_threshold double precision,                   -- the model's threshold, applied to both cohorts
    -- the levels in force when the date was monitored (configuration may change): the dashboard draws these
    add column psi_warn           double precision,
    add column psi_alert          double precision,
    add column feature_psi_warn   double precision,
    add column feature_psi_alert  double precision;

create table monitoring.feature_drift (
    monitor_date    date not null references monitoring.drift (monitor_date) on delete cascade,
    feature         text not null,
    kind            text not null check (kind in ('numeric', 'categorical')),
    psi             double precision not null,  -- numeric: over the reference's quantile bins; categorical: over categories
    js_divergence   double precision,           -- categorical only: Jensen-Shannon divergence, base 2, in [0, 1]
    bins            integer not null,           -- bins (numeric) or categories (categorical) the PSI summed over
    mean_reference  double precision,           -- numeric only
    mean_current    double precision,
    status          text not null check (status in ('ok', 'warn', 'alert')),
    counted         boolean not null,           -- false: shown only (Monitoring:FeaturesNotCounted), its status sets nothing
    primary key (monitor_date, feature)
);

create table monitoring.performance (
    prediction_date      date primary key,
    evaluated_on         date not null,             -- the run date of the evaluate task that wrote it
    model_id             text not null,
    window_end           date not null,             -- outcomes counted from inspections in [prediction_date, window_end)
    predicted            integer not null,          -- establishments predicted that day
    evaluated            integer not null,          -- of them, inspected (pass/fail) within the window
    fails                integer not null,
    fail_rate            double precision,
    roc_auc              double precision,
    precision_at_5       double precision,
    precision_at_10      double precision,
    precision_at_20      double precision,
    lift_at_10           double precision,          -- precision at 10% / fail rate
    days_earlier         double precision,          -- mean days earlier the failing inspections would have been found
    brier                double precision,
    validation_roc_auc        double precision,     -- the model's mean over its validation folds
    validation_precision_at_10 double precision,
    validation_days_earlier   double precision,
    status               text not null check (status in ('ok', 'warn', 'alert', 'too-few')),
    run_id               uuid not null,
    created_at           timestamptz not null default now()
);
create index performance_by_run on monitoring.performance (evaluated_on);

create table monitoring.calibration (
    prediction_date  date not null references monitoring.performance (prediction_date) on delete cascade,
    decile           integer not null,          -- 1 = the lowest scores
    rows             integer not null,
    mean_score       double precision not null,
    fail_rate        double precision not null,
    primary key (prediction_date, decile)
);
