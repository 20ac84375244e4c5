-- The product design's tables, as written there (its trailing comma in `sessions` removed).

CREATE TABLE tenants (
    uuid CHAR(36) PRIMARY KEY,
    slug VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    status ENUM('active', 'inactive', 'suspended') DEFAULT 'active',
    config JSON,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    INDEX idx_tenants_slug (slug)
);

CREATE TABLE sessions (
    uuid CHAR(36) PRIMARY KEY,
    tenant_uuid CHAR(36) NOT NULL,
    unique_identifier VARCHAR(255) NOT NULL,
    session_metadata JSON,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    FOREIGN KEY (tenant_uuid) REFERENCES tenants(uuid) ON DELETE CASCADE,
    UNIQUE KEY uniq_tenant_identifier (tenant_uuid, unique_identifier)
);

CREATE TABLE api_keys (
    uuid CHAR(36) PRIMARY KEY,
    tenant_uuid CHAR(36) NOT NULL,
    key_hash CHAR(64) NOT NULL UNIQUE,
    label VARCHAR(255),
    scopes JSON,
    last_used_at DATETIME NULL,
    expires_at DATETIME NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    FOREIGN KEY (tenant_uuid) REFERENCES tenants(uuid) ON DELETE CASCADE,
    INDEX idx_api_keys_tenant_uuid (tenant_uuid)
);
