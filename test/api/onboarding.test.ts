/** Onboarding: tenants and API keys through the admin API, as an operator uses it. */
import { createHash } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { admin, call, errorOf, newTenant, stack, withKey } from './support.ts';

async function keyRows(tenantUuid: string) {
  const db = await createConnection(stack.mysql.rootUrl);
  try {
    const [rows] = await db.query('SELECT * FROM api_keys WHERE tenant_uuid = ?', [tenantUuid]);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await db.end();
  }
}

describe('onboarding', () => {
  it('registers a tenant whose first key authenticates, and stores only the key hash', async () => {
    const tenant = await newTenant({ label: 'primary' });
    expect(tenant.apiKey).toMatch(/^ies_[A-Za-z0-9_-]{43}$/);
    const session = await tenant.as('POST', '/session', { unique_identifier: 'a-1', session_metadata: {} });
    expect(session.status).toBe(201);

    const rows = await keyRows(tenant.uuid);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key_hash).toBe(createHash('sha256').update(tenant.apiKey).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(tenant.apiKey.slice(4));
    expect(rows[0]?.key_prefix).toBe(tenant.apiKey.slice(0, 12));
  });

  it('gives every key at least 128 bits of randomness (no two alike over many keys)', async () => {
    const tenant = await newTenant();
    const keys = await Promise.all(
      Array.from({ length: 20 }, () => admin('POST', `/tenants/${tenant.uuid}/api-keys`, {})),
    );
    expect(keys.map((reply) => reply.status)).toEqual(Array(20).fill(201));
    const secrets = keys.map((reply) => (reply.body as { api_key: string }).api_key);
    expect(new Set(secrets).size).toBe(20);
    for (const secret of secrets)
      expect(Buffer.from(secret.slice(4), 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('refuses a second tenant with the same slug', async () => {
    const slug = `dup-${Date.now()}`;
    expect((await admin('POST', '/tenants', { slug, name: 'One' })).status).toBe(201);
    const again = await admin('POST', '/tenants', { slug, name: 'Two' });
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('CONFLICT');
  });

  it('lists keys without secrets and revokes one at once', async () => {
    const tenant = await newTenant();
    const second = await admin('POST', `/tenants/${tenant.uuid}/api-keys`, {
      label: 'reader',
      scopes: ['session:read'],
    });
    expect(second.status).toBe(201);
    const issued = second.body as { api_key: string; api_key_id: string; scopes: string[] };
    expect(issued.scopes).toEqual(['session:read']);

    const list = await admin('GET', `/tenants/${tenant.uuid}/api-keys`);
    expect(list.status).toBe(200);
    const keys = (list.body as { api_keys: Array<Record<string, unknown>> }).api_keys;
    expect(keys.map((key) => key.api_key_id).sort()).toEqual([tenant.apiKeyId, issued.api_key_id].sort());
    expect(list.text).not.toContain(tenant.apiKey);
    expect(list.text).not.toContain(issued.api_key);

    expect((await admin('DELETE', `/tenants/${tenant.uuid}/api-keys/${issued.api_key_id}`)).status).toBe(204);
    const reader = withKey(tenant.uuid, issued.api_key, issued.api_key_id);
    const refused = await reader.as('GET', '/session?unique_identifier=x');
    expect(refused.status).toBe(401);
    expect(errorOf(refused).message).toMatch(/revoked/);
    const after = await admin('GET', `/tenants/${tenant.uuid}/api-keys`);
    const revoked = (
      after.body as { api_keys: Array<{ api_key_id: string; revoked_at: string | null }> }
    ).api_keys.find((key) => key.api_key_id === issued.api_key_id);
    expect(revoked?.revoked_at).not.toBeNull();
  });

  it('keeps last_used_at current without a write per request', async () => {
    const tenant = await newTenant();
    expect((await keyRows(tenant.uuid))[0]?.last_used_at).toBeNull();
    await tenant.as('GET', '/session?unique_identifier=none');
    await expect
      .poll(async () => (await keyRows(tenant.uuid))[0]?.last_used_at, { timeout: 5000 })
      .not.toBeNull();
    const first = String((await keyRows(tenant.uuid))[0]?.last_used_at);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await tenant.as('GET', '/session?unique_identifier=none');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(String((await keyRows(tenant.uuid))[0]?.last_used_at)).toBe(first);
  });

  it('answers health with a database check and a request id on every response', async () => {
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', database: 'ok', storage: 'ok', queue: 'ok' });
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await call('GET', '/nowhere');
    expect(missing.status).toBe(404);
    expect(errorOf(missing).requestId).toBe(missing.headers.get('x-request-id'));
  });

  it('serves the OpenAPI 3.1 document and a readable docs page', async () => {
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    const openapi = doc.body as { openapi: string; paths: Record<string, object> };
    expect(openapi.openapi).toBe('3.1.0');
    for (const path of [
      '/ies/api/v2/session',
      '/ies/api/v2/session/presigned-policy',
      '/ies/api/v2/session/process',
      '/ies/api/v2/session/candidate-token',
      '/ies/api/v2/session/chunks',
      '/ies/api/v2/admin/tenants',
    ]) {
      expect(Object.keys(openapi.paths)).toContain(path);
    }
    const page = await call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/ies/api/v2/session/presigned-policy');
  });
});
