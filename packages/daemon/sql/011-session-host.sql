-- 011: which R sent a session, by the host name its client gave with PREPARE_UPSTREAM, so that
-- zync-apply can name it instead of only `zync-client-<uuid>`. Null for sessions staged before
-- this and for older clients, which send none.
ALTER TABLE staging_sessions ADD COLUMN host_name TEXT;
