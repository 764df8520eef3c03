-- Features: passes with conditions before, the name block (Features/NameFeatures.cs) and the place block
-- (Features/PlaceFeatures.cs). Rows computed by the older definition lack them and only the features task can fill
-- them, so they go, with the features task's completion records: the next run asking for any date's features
-- computes that date again (every features run recomputes every closed snapshot window anyway). A model trained on
-- the older feature list is refused when loaded, as before: run train after this migration.
delete from features.snapshots;
delete from features.cohort;
delete from pipeline.task_metadata where task = 'features';

alter table features.snapshots
    add column conditions_before    real not null,   -- pass/fail inspections passed with conditions
    add column name_licences        real not null,   -- other licences that had the establishment's name key
    add column name_outcomes        real not null,   -- their pass/fail inspections
    add column name_fail_rate       real not null,   -- their fail rate, smoothed toward the city's
    add column name_word_min_rate   real not null,   -- per word of the name, other licences' smoothed fail rate: lowest,
    add column name_word_max_rate   real not null,   -- highest,
    add column name_word_excess     real not null,   -- and the sum of each word's rate minus the city's
    add column nearby_fail_12m_1km  real not null,   -- kernel-weighted fail rate of other licences nearby (months, bandwidth)
    add column nearby_fail_12m_2km  real not null,
    add column nearby_fail_6m_1km   real not null,
    add column nearby_fail_3m_1km   real not null,
    add column nearby_fail_3m_2km   real not null,
    add column nearby_fail_2m_1km   real not null,
    add column nearby_fail_2m_2km   real not null,
    add column nearby_bad_12m_1km   real not null,   -- the same for fail or pass with conditions
    add column zip_fail_12m         real not null,   -- smoothed fail rate of other licences in the ZIP code
    add column zip_fail_24m         real not null;

alter table features.cohort
    add column conditions_before    real not null,
    add column name_licences        real not null,
    add column name_outcomes        real not null,
    add column name_fail_rate       real not null,
    add column name_word_min_rate   real not null,
    add column name_word_max_rate   real not null,
    add column name_word_excess     real not null,
    add column nearby_fail_12m_1km  real not null,
    add column nearby_fail_12m_2km  real not null,
    add column nearby_fail_6m_1km   real not null,
    add column nearby_fail_3m_1km   real not null,
    add column nearby_fail_3m_2km   real not null,
    add column nearby_fail_2m_1km   real not null,
    add column nearby_fail_2m_2km   real not null,
    add column nearby_bad_12m_1km   real not null,
    add column zip_fail_12m         real not null,
    add column zip_fail_24m         real not null;
