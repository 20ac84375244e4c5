-- Erasure. A deleted session stays as a tombstone: status `deleted`, its metadata and playback cleared, its
-- unique_identifier and product pair kept (so the tenant's own lookups say `deleted`, and that identifier is
-- not reused for a new recording), with when its objects were removed and how many.
ALTER TABLE sessions
    MODIFY status ENUM('created', 'recording', 'processing', 'ready', 'failed', 'deleted') NOT NULL DEFAULT 'created',
    ADD COLUMN deleted_at DATETIME NULL AFTER processed_at,
    ADD COLUMN objects_removed BIGINT NULL AFTER deleted_at,
    ADD COLUMN bytes_removed BIGINT NULL AFTER objects_removed,
    ADD INDEX idx_sessions_tenant_created (tenant_uuid, created_at);

-- One row per deletion of a session's objects: the whole session, its raw chunks, or its reports (retention),
-- each at most once per session. It is the request (who, why, when), the job's dispatch (`enqueued_at`,
-- re-sent when a job is lost) and the proof (`completed_at`, what was removed). No foreign key: the proof
-- outlives whatever it describes.
CREATE TABLE deletion_audit (
    uuid CHAR(36) PRIMARY KEY,
    tenant_uuid CHAR(36) NOT NULL,
    session_uuid CHAR(36) NOT NULL,
    scope ENUM('session', 'raw', 'reports') NOT NULL,
    reason ENUM('request', 'tenant_erasure', 'retention') NOT NULL,
    api_key_uuid CHAR(36) NULL,
    requested_at DATETIME NOT NULL,
    enqueued_at DATETIME NULL,
    completed_at DATETIME NULL,
    objects_removed BIGINT NULL,
    bytes_removed BIGINT NULL,
    UNIQUE KEY uniq_deletion_session_scope (session_uuid, scope),
    INDEX idx_deletion_pending (completed_at, enqueued_at),
    INDEX idx_deletion_tenant_session (tenant_uuid, session_uuid)
);
