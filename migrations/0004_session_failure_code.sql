-- Why a session failed, as a code a tenant's software can act on (`no_recording`, `undecodable`, …);
-- `failure_reason` keeps the words for people.
ALTER TABLE sessions
    ADD COLUMN failure_code VARCHAR(32) NULL AFTER duration_ms;
