-- Validation measured as the City measured its own model (days earlier) and as lift over the fold's fail rate;
-- each stored model keeps the feature transform it was fitted with and what it weighs (docs/training.md).
alter table models.candidate_folds
    add column lift_at_10          double precision,  -- precision at 10% / the fold's fail rate
    add column days_earlier        double precision,  -- mean days earlier the fold's fails are found in score order
    add column oracle_days_earlier double precision;  -- the same with every fail first: the most a ranking can give on the fold

alter table models.registry
    add column transform   jsonb,                     -- FeatureTransform: log1p columns, means, scales (null for the baseline)
    add column explanation jsonb not null default '[]'; -- [{"feature", "weight"}], largest magnitude first: coefficients or gain importances
