-- TRUNCATE is a table-level statement that row triggers never see: refuse it with a statement
-- trigger too, so the log cannot be emptied in one command either. Tests empty their database
-- with session_replication_role = replica (superuser only), which no application role has.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
