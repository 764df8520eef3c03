-- Predictions (predict), the serving table the HTTP API reads (store-api), and drift (monitor).
create schema predictions;
create schema api;
create schema monitoring;

create table predictions.scores (
    prediction_date date not null,
    license         text not null,
    model_id        text not null references models.registry (model_id),
    score           double precision not null,
    label           text not null check (label in ('fail', 'pass')),
    run_id          uuid not null,
    primary key (prediction_date, license)
);

create table api.predictions (
    prediction_date date not null,
    license         text not null,
    name            text not null,
    address         text not null,
    facility_group  text not null,
    risk_level      text not null,
    score           double precision not null,
    label           text not null check (label in ('fail', 'pass')),
    rank            integer not null,           -- 1 = highest score of the day; ties share no rank (license breaks them)
    threshold       double precision not null,
    model_id        text not null,
    primary key (prediction_date, license)
);
create index api_predictions_by_license on api.predictions (license, prediction_date desc);
create unique index api_predictions_by_rank on api.predictions (prediction_date, rank);

create table monitoring.drift (
    monitor_date          date primary key,
    model_id              text not null,
    reference_rows        integer not null,
    current_rows          integer not null,
    bins                  integer not null,
    psi                   double precision not null,
    ks                    double precision not null,
    mean_reference        double precision not null,
    mean_current          double precision not null,
    mean_shift            double precision not null,
    fail_share_reference  double precision not null,
    fail_share_current    double precision not null,
    status                text not null check (status in ('ok', 'warn', 'alert')),
    run_id                uuid not null,
    created_at            timestamptz not null default now()
);

create table monitoring.histogram_bins (
    monitor_date  date not null references monitoring.drift (monitor_date) on delete cascade,
    series        text not null check (series in ('reference', 'current')),
    bin           integer not null,
    lower_bound   double precision not null,
    upper_bound   double precision not null,
    count         integer not null,
    share         double precision not null,
    primary key (monitor_date, series, bin)
);
