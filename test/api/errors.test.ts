/** Bad input gets a clear error in the envelope and changes nothing: never a 500 for what a client sends. */
import { createConnection } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatChunkName, rawPrefix } from '../../contracts/storage.ts';
import { call, candidateToken, errorOf, newSession, newTenant, stack, type TestTenant } from './support.ts';

async function counts(tenantUuid: string) {
  const db = await createConnection(stack.mysql.rootUrl);
  try {
    const [rows] = await db.query(
      `SELECT (SELECT COUNT(*) FROM sessions WHERE tenant_uuid = ?) AS sessions,
              (SELECT COUNT(*) FROM api_keys WHERE tenant_uuid = ?) AS api_keys,
              (SELECT GROUP_CONCAT(status ORDER BY uuid) FROM sessions WHERE tenant_uuid = ?) AS statuses`,
      [tenantUuid, tenantUuid, tenantUuid],
    );
    return (rows as Array<Record<string, unknown>>)[0];
  } finally {
    await db.end();
  }
}

/** `{"a":{"a":…}}`, `depth` objects deep. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('malformed requests', () => {
  let tenant: TestTenant;
  let sessionId: string;
  let token: string;
  beforeAll(async () => {
    tenant = await newTenant();
    sessionId = (await newSession(tenant)).sessionId;
    token = await candidateToken(tenant, sessionId);
  });

  const huge = JSON.stringify({ unique_identifier: 'x', session_metadata: { blob: 'x'.repeat(70 * 1024) } });

  type Case = [
    name: string,
    method: string,
    path: string,
    body: string | undefined,
    status: number,
    auth?: 'key' | 'candidate' | 'admin',
  ];
  const cases = (): Case[] => [
    ['invalid JSON', 'POST', '/session', '{"unique_identifier": ', 400],
    ['a JSON array', 'POST', '/session', '[]', 400],
    ['a wrong type', 'POST', '/session', '{"unique_identifier": 42, "session_metadata": {}}', 400],
    ['an empty identifier', 'POST', '/session', '{"unique_identifier": "", "session_metadata": {}}', 400],
    [
      'an identifier over 255',
      'POST',
      '/session',
      JSON.stringify({ unique_identifier: 'x'.repeat(256) }),
      400,
    ],
    [
      'metadata not an object',
      'POST',
      '/session',
      '{"unique_identifier": "a", "session_metadata": "x"}',
      400,
    ],
    [
      'an unknown field',
      'POST',
      '/session',
      '{"unique_identifier": "a", "session_metadata": {}, "extra": 1}',
      400,
    ],
    ['a body over 64 KiB', 'POST', '/session', huge, 413],
    ['GET without a lookup', 'GET', '/session', undefined, 400],
    ['GET with both lookups', 'GET', `/session?session_id=${sessionId}&unique_identifier=a`, undefined, 400],
    ['GET with a bad uuid', 'GET', '/session?session_id=not-a-uuid', undefined, 400],
    ['GET with an unknown parameter', 'GET', '/session?unique_identifier=a&x=1', undefined, 400],
    [
      'policy with an empty asset',
      'GET',
      `/session/presigned-policy?session_id=${sessionId}&asset=`,
      undefined,
      400,
    ],
    [
      'policy for an unknown asset',
      'GET',
      `/session/presigned-policy?session_id=${sessionId}&asset=audio`,
      undefined,
      400,
    ],
    [
      'policy for a content type outside the allow-list',
      'GET',
      `/session/presigned-policy?session_id=${sessionId}&asset=screenshare&content_type=video/ogg`,
      undefined,
      400,
    ],
    [
      'policy for screenshots as video',
      'GET',
      `/session/presigned-policy?session_id=${sessionId}&asset=screenshots&content_type=video/mp4`,
      undefined,
      400,
    ],
    [
      'policy for a screen share as an image',
      'GET',
      `/session/presigned-policy?session_id=${sessionId}&asset=screenshare&content_type=image/webp`,
      undefined,
      400,
    ],
    ['process without session_id', 'POST', '/session/process', '{}', 400],
    [
      'process with reprocess not boolean',
      'POST',
      '/session/process',
      JSON.stringify({ session_id: sessionId, reprocess: 'yes' }),
      400,
    ],
    ['process with invalid JSON', 'POST', '/session/process', '{', 400],
    ['token for a bad lookup', 'POST', '/session/candidate-token', '{"session_id": 5}', 400],
    [
      'chunk key outside any session',
      'POST',
      '/session/chunks',
      JSON.stringify({ key: 'elsewhere/screenshare/raw/000000-1764158400123-5000.webm' }),
      400,
      'candidate',
    ],
    [
      'chunk key misnamed',
      'POST',
      '/session/chunks',
      JSON.stringify({ key: `proctor/ies/${tenant.uuid}/${sessionId}/screenshare/raw/chunk.webm` }),
      400,
      'candidate',
    ],
    [
      'chunk of a screen share named as an image',
      'POST',
      '/session/chunks',
      JSON.stringify({
        key: `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${formatChunkName({ seq: 0, startMs: Date.now(), durationMs: 5000, ext: 'webp' })}`,
      }),
      400,
      'candidate',
    ],
    [
      'chunk of screenshots named as video',
      'POST',
      '/session/chunks',
      JSON.stringify({
        key: `${rawPrefix(tenant.uuid, sessionId, 'screenshots')}${formatChunkName({ seq: 0, startMs: Date.now(), durationMs: 0, ext: 'mp4' })}`,
      }),
      400,
      'candidate',
    ],
    ['chunk without key', 'POST', '/session/chunks', '{}', 400, 'candidate'],
    ['clock with a negative time', 'POST', '/session/clock', '{"t0": -1}', 400, 'candidate'],
    ['a tenant without slug', 'POST', '/admin/tenants', '{"name": "x"}', 400, 'admin'],
    [
      'a tenant with a bad slug',
      'POST',
      '/admin/tenants',
      '{"slug": "Bad Slug!", "name": "x"}',
      400,
      'admin',
    ],
    [
      'a key with an unknown scope',
      'POST',
      `/admin/tenants/${tenant.uuid}/api-keys`,
      '{"scopes": ["root"]}',
      400,
      'admin',
    ],
    [
      'a tenant status outside the enum',
      'PATCH',
      `/admin/tenants/${tenant.uuid}`,
      '{"status": "gone"}',
      400,
      'admin',
    ],
    ['an empty tenant update', 'PATCH', `/admin/tenants/${tenant.uuid}`, '{}', 400, 'admin'],
    [
      'revoking with a bad id',
      'DELETE',
      `/admin/tenants/${tenant.uuid}/api-keys/123`,
      undefined,
      400,
      'admin',
    ],
    [
      'metadata nested too deep',
      'POST',
      '/session',
      JSON.stringify({ unique_identifier: 'deep', session_metadata: nested(60) }),
      400,
    ],
    [
      'metadata with a lone surrogate',
      'POST',
      '/session',
      '{"unique_identifier": "s", "session_metadata": {"a": "\\ud800"}}',
      400,
    ],
    ['an identifier with a lone surrogate', 'POST', '/session', '{"unique_identifier": "\\udc00x"}', 400],
    ['an identifier with a trailing space', 'POST', '/session', '{"unique_identifier": "a "}', 400],
    [
      'a tenant config nested too deep',
      'PATCH',
      `/admin/tenants/${tenant.uuid}`,
      JSON.stringify({ config: nested(40) }),
      400,
      'admin',
    ],
    [
      'a chunk from a year ago',
      'POST',
      '/session/chunks',
      JSON.stringify({
        key: `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${formatChunkName({ seq: 0, startMs: Date.now() - 365 * 86_400_000, durationMs: 5000, ext: 'webm' })}`,
      }),
      400,
      'candidate',
    ],
    [
      'a chunk five hours after the session began',
      'POST',
      '/session/chunks',
      JSON.stringify({
        key: `${rawPrefix(tenant.uuid, sessionId, 'webcam')}${formatChunkName({ seq: 1, startMs: Date.now() + 5 * 3_600_000, durationMs: 5000, ext: 'webm' })}`,
      }),
      400,
      'candidate',
    ],
    ['a clock time that is not finite', 'POST', '/session/clock', '{"t0": 1e308}', 400, 'candidate'],
  ];

  it('answers each with 4xx in the envelope and writes nothing', async () => {
    const before = await counts(tenant.uuid);
    for (const [name, method, path, body, status, auth = 'key'] of cases()) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (auth === 'key') headers['X-API-TOKEN'] = tenant.apiKey;
      if (auth === 'candidate') headers.Authorization = `Bearer ${token}`;
      if (auth === 'admin') headers.Authorization = `Bearer ${stack.adminToken}`;
      const reply = await call(method, path, { headers, body });
      expect.soft(reply.status, name).toBe(status);
      expect.soft(errorOf(reply).message.length, name).toBeGreaterThan(0);
    }
    expect(await counts(tenant.uuid)).toEqual(before);
  });

  it('names content_type and its allow-list when the type is not one the asset allows', async () => {
    const reply = await tenant.as(
      'GET',
      `/session/presigned-policy?session_id=${sessionId}&asset=webcam&content_type=video/ogg`,
    );
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 'BAD_REQUEST', requestId: expect.any(String) });
    expect(errorOf(reply).message).toContain('content_type');
  });

  it('names the offending field', async () => {
    const reply = await tenant.as('POST', '/session', { unique_identifier: 42, session_metadata: {} });
    expect(errorOf(reply).message).toContain('unique_identifier');
  });

  it('a body that is not JSON → 415 or 400, never 500', async () => {
    const reply = await call('POST', '/session', {
      headers: { 'X-API-TOKEN': tenant.apiKey, 'Content-Type': 'text/plain' },
      body: 'unique_identifier=a',
    });
    expect([400, 415]).toContain(reply.status);
    expect(errorOf(reply).code).toMatch(/BAD_REQUEST|UNSUPPORTED_MEDIA_TYPE/);
  });
});
