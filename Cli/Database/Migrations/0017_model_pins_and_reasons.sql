-- Pinning a model (`inspections models promote ID` / `models unpin`): an append-only log, the newest row is the
-- state. A row without a model is an unpin. Predict uses the pinned model for any date on or after the day it was
-- trained; otherwise, the newest model selected at or before the date.
create table models.pins (
    pin_id     bigserial primary key,
    model_id   text references models.registry (model_id),  -- null: unpinned
    changed_at timestamptz not null default now(),
    changed_by text not null                                -- the OS user who ran the verb
);

-- What predict decided for a date: the model and why it was that one. store-api serves it with the day.
create table predictions.days (
    prediction_date date primary key,
    model_id        text not null references models.registry (model_id),
    model_choice    text not null check (model_choice in ('pinned', 'newest')),
    model_reason    text not null,                      -- one sentence, as the API and the dashboard show it
    run_id          uuid not null
);

-- The top three contributions to each score, computed by predict with the model that scored it: a JSON array of
-- {feature, value, effect, text}, largest effect first. Null for predictions stored before this column existed.
alter table predictions.scores add column reasons jsonb;
alter table api.predictions add column reasons jsonb;

alter table api.days add column model_choice text check (model_choice in ('pinned', 'newest'));
alter table api.days add column model_reason text;
comment on column api.days.model_reason is 'why the day''s model was used; null for days stored before this column existed';
