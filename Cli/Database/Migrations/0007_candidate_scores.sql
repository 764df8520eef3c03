-- Every candidate's out-of-sample scores on the latest validation fold (train). Select copies the
-- winner's into models.validation_scores instead of fitting the latest fold's model a second time.
create table models.candidate_scores (
    train_date  date not null,
    candidate   text not null,
    as_of_date  date not null,
    license     text not null,
    score       double precision not null,
    label_fail  boolean not null,
    primary key (train_date, candidate, as_of_date, license)
);
