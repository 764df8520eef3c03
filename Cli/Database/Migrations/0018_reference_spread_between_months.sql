-- The reference's own spread is now the largest PSI between two of its as-of dates (docs/monitoring.md): how far
-- apart two months the model validated on already were. Rows written before keep the old measure (one date against
-- the rest of the reference), which is smaller.
comment on column monitoring.feature_drift.reference_psi is
    'the largest PSI between two of the reference''s as-of dates, on the reference''s bins (before migration 0018: '
    'one date against the rest); null before migration 0016';
