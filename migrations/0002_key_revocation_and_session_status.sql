-- API keys: a visible prefix so operators can tell keys apart without the secret, and revocation.
ALTER TABLE api_keys
    ADD COLUMN key_prefix VARCHAR(16) NOT NULL DEFAULT '' AFTER key_hash,
    ADD COLUMN revoked_at DATETIME NULL AFTER expires_at;

-- Sessions: the processing lifecycle and where the finished recording is.
-- `finalize_requested_at` marks a finalize job in the queue or running, so a second request does not
-- enqueue another.
ALTER TABLE sessions
    ADD COLUMN status ENUM('created', 'recording', 'processing', 'ready', 'failed') NOT NULL DEFAULT 'created' AFTER session_metadata,
    ADD COLUMN playback_type ENUM('fullvideo', 'hls_masterplaylist') NULL AFTER status,
    ADD COLUMN playback_key VARCHAR(1024) NULL AFTER playback_type,
    ADD COLUMN duration_ms BIGINT NULL AFTER playback_key,
    ADD COLUMN failure_reason VARCHAR(1000) NULL AFTER duration_ms,
    ADD COLUMN finalize_requested_at DATETIME NULL AFTER failure_reason,
    ADD COLUMN processed_at DATETIME NULL AFTER finalize_requested_at,
    ADD INDEX idx_sessions_tenant_status (tenant_uuid, status);
