-- Ingested records as received, and the typed, normalised inspections and establishments.
create schema raw;
create schema clean;
