-- One row per prediction date the API serves, written by store-api in the transaction that writes
-- the day's rows in api.predictions, so a reader sees both or neither. serve-api polls the newest
-- row (a new run_id means the day was stored again) to know when to reload the day it keeps in memory.
create table api.days (
    prediction_date date primary key,
    model_id        text not null,
    establishments  integer not null,
    fails           integer not null,           -- rows labelled 'fail'
    stored_at       timestamptz not null,
    run_id          uuid not null               -- the store-api run that wrote the day
);

-- The days stored before this table existed, with the store-api run that completed each when it is on
-- record (else a fresh id: it only has to differ from the next run's).
insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id)
select d.prediction_date, d.model_id, d.establishments, d.fails,
       coalesce(m.finished_at, now()), coalesce(m.run_id, gen_random_uuid())
from (
    select prediction_date, min(model_id) as model_id, count(*)::int as establishments,
           (count(*) filter (where label = 'fail'))::int as fails
    from api.predictions
    group by prediction_date
) d
left join lateral (
    select run_id, finished_at
    from pipeline.task_metadata
    where task = 'store-api' and parameters ->> 'date' = to_char(d.prediction_date, 'YYYY-MM-DD')
    order by finished_at desc
    limit 1
) m on true;
