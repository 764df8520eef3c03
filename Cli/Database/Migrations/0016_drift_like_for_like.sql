-- Feature drift judged against the reference's own spread: the largest PSI one of the reference's own as-of dates
-- shows against the whole reference, on the same bins (docs/monitoring.md). A feature whose values are shared by
-- many establishments (a ZIP code's rate, a 2 km cell's) moves that much from month to month while the model
-- validates well; that much is not drift.
alter table monitoring.feature_drift add column reference_psi double precision;
comment on column monitoring.feature_drift.reference_psi is
    'the largest PSI of one reference as-of date against the whole reference; null before this column existed';
comment on column monitoring.feature_drift.mean_reference is
    'numeric only; for a rate smoothed toward a city-wide share, the mean of its excess over that share';

-- The stored model's own score of each reference row, beside the fold model's out-of-sample one: drift and the label
-- threshold compare the population predict scores with the same model's scores of the reference (docs/monitoring.md).
alter table models.reference_cohort add column model_score double precision;
comment on column models.reference_cohort.model_score is
    'the stored model''s score of the row; null for models stored before this column existed';
