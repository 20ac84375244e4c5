-- Webhooks. A tenant's endpoints: where events are POSTed, which event types, and the signing secret
-- encrypted with the Worker's WEBHOOK_SECRET_KEY (AES-GCM; `worker/webhooks/secrets.ts`), since the Worker
-- must sign with it and the tenant is shown it once.
CREATE TABLE webhook_endpoints (
    uuid CHAR(36) PRIMARY KEY,
    tenant_uuid CHAR(36) NOT NULL,
    url VARCHAR(2048) NOT NULL,
    event_types JSON NOT NULL,
    description VARCHAR(255) NULL,
    secret_ciphertext VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_webhook_endpoints_tenant (tenant_uuid)
);

-- One delivery per event and endpoint (its unique key: an event reported twice is delivered once), with the
-- body exactly as it is signed and sent, and when the next attempt is due (Unix ms) while it is pending.
CREATE TABLE webhook_deliveries (
    uuid CHAR(36) PRIMARY KEY,
    tenant_uuid CHAR(36) NOT NULL,
    endpoint_uuid CHAR(36) NOT NULL,
    event_id CHAR(68) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payload MEDIUMTEXT NOT NULL,
    status ENUM('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
    attempts INT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    next_attempt_at_ms BIGINT NULL,
    delivered_at_ms BIGINT NULL,
    UNIQUE KEY uniq_delivery_event_endpoint (event_id, endpoint_uuid),
    INDEX idx_deliveries_endpoint (endpoint_uuid, created_at_ms)
);

-- Every attempt of a delivery: when, the endpoint's answer (or why there was none) and how long it took.
CREATE TABLE webhook_attempts (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    delivery_uuid CHAR(36) NOT NULL,
    attempt INT NOT NULL,
    attempted_at_ms BIGINT NOT NULL,
    response_status INT NULL,
    error VARCHAR(500) NULL,
    duration_ms INT NOT NULL,
    UNIQUE KEY uniq_attempt (delivery_uuid, attempt)
);
