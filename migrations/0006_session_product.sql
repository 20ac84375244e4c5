-- The product design stores "(product_type, product_id) mapping vs a unique session_uuid" and looks up the
-- upload policy by that pair. Both come from the tenant's `session_metadata` at creation; the pair names at
-- most one session per tenant (NULLs never collide in a MySQL unique key, so sessions without them are free).
-- Compared byte for byte, as unique_identifier is (migration 0003).
ALTER TABLE sessions
    ADD COLUMN product_type VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER unique_identifier,
    ADD COLUMN product_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER product_type,
    ADD UNIQUE KEY uniq_tenant_product (tenant_uuid, product_type, product_id);
