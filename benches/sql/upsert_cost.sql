-- What the natural-key upsert into kpi_measurement costs on PostgreSQL, part by part:
-- 500,000 staged rows inserted into the table as the migrations define it, then with
-- its foreign keys dropped, without ON CONFLICT, with the natural key on a hash of
-- series_key, without the natural key, without any index. Run against a scratch server:
--   psql -h 127.0.0.1 -U postgres -f benches/sql/upsert_cost.sql postgres
-- It creates and drops the database upsert_exp.
\set ON_ERROR_STOP 1
DROP DATABASE IF EXISTS upsert_exp;
CREATE DATABASE upsert_exp;
\c upsert_exp
CREATE TABLE organization (id uuid PRIMARY KEY);
CREATE TABLE kpi_definition (id uuid PRIMARY KEY);
CREATE TABLE org_unit (id uuid PRIMARY KEY);
INSERT INTO organization VALUES ('00000000-0000-0000-0000-000000000001');
INSERT INTO kpi_definition SELECT ('00000000-0000-0000-0000-00000000001' || g)::uuid FROM generate_series(0,3) g;
CREATE TABLE kpi_measurement (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organization, kpi_id uuid NOT NULL REFERENCES kpi_definition, unit_id uuid REFERENCES org_unit, granularity varchar(10) NOT NULL, period_start date NOT NULL, source varchar(100) NOT NULL, dimensions jsonb NOT NULL, series_key varchar(600) NOT NULL, value_scaled bigint NOT NULL, revision integer NOT NULL DEFAULT 1, recorded_at timestamptz NOT NULL, recorded_by varchar(200));
CREATE UNIQUE INDEX ux ON kpi_measurement (organization_id, kpi_id, granularity, period_start, source, series_key);
CREATE UNLOGGED TABLE stage AS SELECT gen_random_uuid() AS id, ('00000000-0000-0000-0000-00000000001' || (g % 4))::uuid AS kpi_id, date '2000-01-01' + (g / 64) AS period_start, 'source-' || ((g/4) % 4) AS source, ('{"channel":"c' || ((g/16)%4) || '"}')::jsonb AS dimensions, '{"u":null,"d":{"channel":"c' || ((g/16)%4) || '"}}' AS series_key, g::bigint * 1000000 AS value_scaled FROM generate_series(0, 499999) g;
CREATE TABLE variant (LIKE kpi_measurement);
\timing on
\echo full schema
INSERT INTO kpi_measurement SELECT s.id, '00000000-0000-0000-0000-000000000001', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s ON CONFLICT (organization_id, kpi_id, granularity, period_start, source, series_key) DO NOTHING;
\echo no foreign keys
TRUNCATE kpi_measurement; ALTER TABLE kpi_measurement DROP CONSTRAINT kpi_measurement_organization_id_fkey, DROP CONSTRAINT kpi_measurement_kpi_id_fkey, DROP CONSTRAINT kpi_measurement_unit_id_fkey;
CHECKPOINT;
INSERT INTO kpi_measurement SELECT s.id, '00000000-0000-0000-0000-000000000001', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s ON CONFLICT (organization_id, kpi_id, granularity, period_start, source, series_key) DO NOTHING;
\echo no foreign keys, plain insert no on-conflict
TRUNCATE kpi_measurement; CHECKPOINT;
INSERT INTO kpi_measurement SELECT s.id, '00000000-0000-0000-0000-000000000001', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s;
\echo no fks, natural key index on a md5 of series key instead of text
TRUNCATE kpi_measurement; DROP INDEX ux; CREATE UNIQUE INDEX ux2 ON kpi_measurement (organization_id, kpi_id, granularity, period_start, source, (md5(series_key)::uuid)); CHECKPOINT;
INSERT INTO kpi_measurement SELECT s.id, '00000000-0000-0000-0000-000000000001', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s;
\echo no fks, no natural key index (pk only)
TRUNCATE kpi_measurement; DROP INDEX ux2; CHECKPOINT;
INSERT INTO kpi_measurement SELECT s.id, '00000000-0000-0000-0000-000000000001', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s;
\echo no indexes at all
TRUNCATE kpi_measurement; ALTER TABLE kpi_measurement DROP CONSTRAINT kpi_measurement_pkey; CHECKPOINT;
INSERT INTO kpi_measurement SELECT s.id, '00000000-0000-0000-0000-000000000001', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s;
\c postgres
DROP DATABASE upsert_exp;
