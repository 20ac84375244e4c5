-- Integrity events of a session, from three sources: the tenant's server, the candidate's recorder and the
-- session's clock (wall-clock changes, recording gaps). Read back per session in (occurred_at_ms, id) order.
-- A client's retry is recognised by its idempotency key, unique per session and source: a key chosen by the
-- candidate's browser can never shadow one the tenant sends. Keys and types are ASCII compared byte for byte.
CREATE TABLE integrity_events (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    tenant_uuid CHAR(36) NOT NULL,
    session_uuid CHAR(36) NOT NULL,
    source ENUM('tenant', 'candidate', 'clock') NOT NULL,
    type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    severity ENUM('info', 'warning', 'critical') NOT NULL,
    occurred_at_ms BIGINT NOT NULL,
    details JSON NOT NULL,
    idempotency_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (session_uuid) REFERENCES sessions(uuid) ON DELETE CASCADE,
    UNIQUE KEY uniq_event_idempotency (session_uuid, source, idempotency_key),
    INDEX idx_events_session_time (session_uuid, occurred_at_ms, id)
);
