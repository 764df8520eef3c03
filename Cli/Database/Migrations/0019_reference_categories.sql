-- The reference holds its rows' categories itself (facility_group, risk_level, area, in that order: the categorical
-- columns of models.registry.features after the numeric ones). Monitoring read them by joining features.fold_cohort
-- row by row: 5 of the 7 s of reading a 684,000-row reference at a million inspections. Rows stored before this
-- migration take theirs from the fold cohort they were scored from; a row whose fold cohort row is gone has none, as
-- the join gave it none.
alter table models.candidate_cohort_scores add column categories text[];
alter table models.reference_cohort add column categories text[];
comment on column models.reference_cohort.categories is
    'the row''s categorical features (facility_group, risk_level, area), as features.fold_cohort had them when scored';

update models.candidate_cohort_scores c
set categories = array[f.facility_group, f.risk_level, f.area]
from features.fold_cohort f
where f.as_of_date = c.as_of_date and f.license = c.license;

update models.reference_cohort r
set categories = array[f.facility_group, f.risk_level, f.area]
from features.fold_cohort f
where f.as_of_date = r.as_of_date and f.license = r.license;
