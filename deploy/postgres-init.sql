-- Run once by the postgres image on an empty data volume
-- (mounted into /docker-entrypoint-initdb.d/ by docker-compose.yml), as
-- POSTGRES_USER, who therefore owns the database.
--
-- graphcompat's snapshot store gets its own database, next to Temporal's
-- `temporal` and `temporal_visibility` (those are created by the temporal
-- service's auto-setup). PostgresSaver creates its tables on first use.
CREATE DATABASE graphcompat;
