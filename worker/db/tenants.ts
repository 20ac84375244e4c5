/** Tenants and their API keys. Only SHA-256 hashes of keys are ever stored. */
import type { Client, Transaction } from '@planetscale/database';
import type { ApiKeyScope } from '../../contracts/api.ts';
import { datetimeFromIso, isoFromDatetime } from './client.ts';

type Executor = Pick<Client, 'execute'> | Pick<Transaction, 'execute'>;

export interface TenantRow {
  uuid: string;
  slug: string;
  name: string;
  status: 'active' | 'inactive' | 'suspended';
  config: Record<string, unknown> | null;
}

export interface NewApiKey {
  uuid: string;
  tenantUuid: string;
  keyHash: string;
  keyPrefix: string;
  label: string | null;
  scopes: readonly ApiKeyScope[];
  expiresAt: string | null;
}

export interface ApiKeyRow {
  uuid: string;
  tenant_uuid: string;
  key_prefix: string;
  label: string | null;
  scopes: ApiKeyScope[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

/** What authentication needs of a key and its tenant, in one query. */
export interface KeyWithTenant {
  uuid: string;
  tenant_uuid: string;
  scopes: string[];
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  tenant_status: TenantRow['status'];
}

const KEY_COLUMNS =
  'uuid, tenant_uuid, key_prefix, label, scopes, expires_at, last_used_at, revoked_at, created_at';

export async function insertTenant(db: Executor, tenant: Omit<TenantRow, 'status'>): Promise<void> {
  await db.execute('INSERT INTO tenants (uuid, slug, name, config) VALUES (?, ?, ?, ?)', [
    tenant.uuid,
    tenant.slug,
    tenant.name,
    JSON.stringify(tenant.config ?? {}),
  ]);
}

export async function findTenant(db: Executor, uuid: string): Promise<TenantRow | null> {
  const result = await db.execute<TenantRow>(
    'SELECT uuid, slug, name, status, config FROM tenants WHERE uuid = ?',
    [uuid],
  );
  return result.rows[0] ?? null;
}

/** Every tenant, for the scheduled retention run and the lifecycle rules. */
export async function listTenants(db: Executor): Promise<TenantRow[]> {
  const result = await db.execute<TenantRow>(
    'SELECT uuid, slug, name, status, config FROM tenants ORDER BY uuid',
  );
  return result.rows;
}

/** Revokes every key of the tenant that is not revoked yet. */
export async function revokeTenantKeys(db: Executor, tenantUuid: string): Promise<void> {
  await db.execute(
    'UPDATE api_keys SET revoked_at = UTC_TIMESTAMP() WHERE tenant_uuid = ? AND revoked_at IS NULL',
    [tenantUuid],
  );
}

export async function updateTenant(
  db: Executor,
  uuid: string,
  changes: { name?: string; status?: TenantRow['status']; config?: Record<string, unknown> },
): Promise<void> {
  await db.execute(
    `UPDATE tenants SET name = COALESCE(?, name), status = COALESCE(?, status),
       config = COALESCE(?, config) WHERE uuid = ?`,
    [
      changes.name ?? null,
      changes.status ?? null,
      changes.config ? JSON.stringify(changes.config) : null,
      uuid,
    ],
  );
}

export async function insertApiKey(db: Executor, key: NewApiKey): Promise<void> {
  await db.execute(
    `INSERT INTO api_keys (uuid, tenant_uuid, key_hash, key_prefix, label, scopes, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      key.uuid,
      key.tenantUuid,
      key.keyHash,
      key.keyPrefix,
      key.label,
      JSON.stringify(key.scopes),
      key.expiresAt ? datetimeFromIso(key.expiresAt) : null,
    ],
  );
}

export async function findApiKey(db: Executor, tenantUuid: string, uuid: string): Promise<ApiKeyRow | null> {
  const result = await db.execute<ApiKeyRow>(
    `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_uuid = ? AND uuid = ?`,
    [tenantUuid, uuid],
  );
  return result.rows[0] ?? null;
}

export async function listApiKeys(db: Executor, tenantUuid: string): Promise<ApiKeyRow[]> {
  const result = await db.execute<ApiKeyRow>(
    `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_uuid = ? ORDER BY created_at, uuid`,
    [tenantUuid],
  );
  return result.rows;
}

/** Revokes a key of that tenant; false when the tenant has no such key. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Executor, tenantUuid: string, uuid: string): Promise<boolean> {
  await db.execute(
    'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, UTC_TIMESTAMP()) WHERE tenant_uuid = ? AND uuid = ?',
    [tenantUuid, uuid],
  );
  return (await findApiKey(db, tenantUuid, uuid)) !== null;
}

export async function findKeyByHash(db: Executor, keyHash: string): Promise<KeyWithTenant | null> {
  const result = await db.execute<KeyWithTenant>(
    `SELECT k.uuid, k.tenant_uuid, k.scopes, k.expires_at, k.revoked_at, k.last_used_at, t.status AS tenant_status
       FROM api_keys k JOIN tenants t ON t.uuid = k.tenant_uuid
      WHERE k.key_hash = ?`,
    [keyHash],
  );
  return result.rows[0] ?? null;
}

export async function touchApiKey(db: Executor, uuid: string): Promise<void> {
  await db.execute('UPDATE api_keys SET last_used_at = UTC_TIMESTAMP() WHERE uuid = ?', [uuid]);
}

/** The API's view of a key row: ISO instants, never the hash. */
export function apiKeyInfo(row: ApiKeyRow) {
  return {
    api_key_id: row.uuid,
    key_prefix: row.key_prefix,
    label: row.label,
    scopes: row.scopes,
    expires_at: isoFromDatetime(row.expires_at),
    last_used_at: isoFromDatetime(row.last_used_at),
    revoked_at: isoFromDatetime(row.revoked_at),
    created_at: isoFromDatetime(row.created_at) ?? '',
  };
}
