-- The role baocao connects as in production (DATABASE_URL): baocao_app. It owns nothing, so
-- ALTER TABLE (… DISABLE TRIGGER), DROP and TRUNCATE are refused to it; it is no superuser, so
-- session_replication_role (which skips triggers) is refused too. It reads and writes the rows of
-- every table, and may only read and append to audit_log. The tables belong to baocao_owner,
-- which runs the migrations at start-up (DATABASE_MIGRATION_URL).
--
-- baocao_owner must exist first and own the database (it creates the tables, and the schema
-- drizzle keeps its list of migrations in):
--   createuser --pwprompt baocao_owner && createdb -O baocao_owner baocao
-- Run as a superuser, connected to baocao's database, once before the first start (it creates
-- the role) and once after it (audit_log exists then); again after an upgrade does no harm.
-- Tables and sequences later migrations add are granted by the default privileges below, so
-- a new table needs no new line here.
--   psql -v ON_ERROR_STOP=1 -d baocao -f docs/app-role.sql
--   psql -d baocao -c "\password baocao_app"

DO $$
BEGIN
  CREATE ROLE baocao_app LOGIN;
EXCEPTION WHEN duplicate_object THEN
  NULL;
END
$$;
ALTER ROLE baocao_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO baocao_app', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO baocao_app;

-- The rows of every table and its sequences: those there now, and those later migrations create.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO baocao_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO baocao_app;
ALTER DEFAULT PRIVILEGES FOR ROLE baocao_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO baocao_app;
ALTER DEFAULT PRIVILEGES FOR ROLE baocao_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO baocao_app;

-- The audit log: read and append, nothing else (its triggers refuse UPDATE, DELETE and TRUNCATE
-- to everyone as well).
DO $$
BEGIN
  IF to_regclass('public.audit_log') IS NOT NULL THEN
    REVOKE ALL ON TABLE audit_log FROM baocao_app;
    GRANT SELECT, INSERT ON TABLE audit_log TO baocao_app;
  END IF;
END
$$;

-- The list of migrations applied: readable, so that a process without DATABASE_MIGRATION_URL
-- (the CLI) can check the database is up to date instead of failing to migrate it.
DO $$
BEGIN
  IF to_regnamespace('drizzle') IS NOT NULL THEN
    GRANT USAGE ON SCHEMA drizzle TO baocao_app;
    GRANT SELECT ON ALL TABLES IN SCHEMA drizzle TO baocao_app;
  END IF;
END
$$;
