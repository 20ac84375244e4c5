/** Who may do what: each authentication failure class, tenant isolation, and candidate-token scope. */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatChunkName, rawPrefix, sessionPrefix } from '../../contracts/storage.ts';
import { signToken } from '../../worker/auth/tokens.ts';
import {
  admin,
  call,
  candidateToken,
  errorOf,
  newSession,
  newTenant,
  type Reply,
  reportReady,
  reportStatus,
  sql,
  stack,
  type TestTenant,
  withKey,
} from './support.ts';

function expectError(reply: Reply, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(errorOf(reply).code).toBe(code);
  expect(errorOf(reply).requestId).toBe(reply.headers.get('x-request-id'));
}

describe('API key authentication', () => {
  let tenant: TestTenant;
  beforeAll(async () => {
    tenant = await newTenant();
  });

  it('401 without a key, and for an unknown key', async () => {
    expectError(await call('GET', '/session?unique_identifier=x'), 401, 'UNAUTHORIZED');
    const unknown = withKey(tenant.uuid, `ies_${'A'.repeat(43)}`, tenant.apiKeyId);
    expectError(await unknown.as('GET', '/session?unique_identifier=x'), 401, 'UNAUTHORIZED');
  });

  it('401 for an expired key', async () => {
    const issued = await admin('POST', `/tenants/${tenant.uuid}/api-keys`, {
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const key = issued.body as { api_key: string; api_key_id: string };
    const holder = withKey(tenant.uuid, key.api_key, key.api_key_id);
    expect((await holder.as('GET', '/session?unique_identifier=x')).status).toBe(404);
    await sql('UPDATE api_keys SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE uuid = ?', [
      key.api_key_id,
    ]);
    const expired = await holder.as('GET', '/session?unique_identifier=x');
    expectError(expired, 401, 'UNAUTHORIZED');
    expect(errorOf(expired).message).toMatch(/expired/);
  });

  it('refuses an expiry in the past when issuing', async () => {
    const reply = await admin('POST', `/tenants/${tenant.uuid}/api-keys`, {
      expires_at: '2020-01-01T00:00:00Z',
    });
    expectError(reply, 400, 'BAD_REQUEST');
  });

  it('403 for an inactive or suspended tenant, and back once active', async () => {
    const other = await newTenant();
    for (const status of ['inactive', 'suspended']) {
      expect((await admin('PATCH', `/tenants/${other.uuid}`, { status })).status).toBe(200);
      const reply = await other.as('GET', '/session?unique_identifier=x');
      expectError(reply, 403, 'FORBIDDEN');
      expect(errorOf(reply).message).toContain(status);
    }
    await admin('PATCH', `/tenants/${other.uuid}`, { status: 'active' });
    expect((await other.as('GET', '/session?unique_identifier=x')).status).toBe(404);
  });

  it('403 when the key lacks the scope', async () => {
    const issued = await admin('POST', `/tenants/${tenant.uuid}/api-keys`, { scopes: ['session:read'] });
    const key = issued.body as { api_key: string; api_key_id: string };
    const reader = withKey(tenant.uuid, key.api_key, key.api_key_id);
    const reply = await reader.as('POST', '/session', { unique_identifier: 'x', session_metadata: {} });
    expectError(reply, 403, 'FORBIDDEN');
    expect(errorOf(reply).message).toContain('session:create');
  });

  it('admin routes refuse tenant keys and wrong admin tokens', async () => {
    expectError(await call('GET', `/admin/tenants/${tenant.uuid}`), 401, 'UNAUTHORIZED');
    const wrong = await call('GET', `/admin/tenants/${tenant.uuid}`, {
      headers: { Authorization: 'Bearer nope' },
    });
    expectError(wrong, 401, 'UNAUTHORIZED');
    const withTenantKey = await call('GET', `/admin/tenants/${tenant.uuid}`, {
      headers: { 'X-API-TOKEN': tenant.apiKey },
    });
    expectError(withTenantKey, 401, 'UNAUTHORIZED');
  });

  it('the internal endpoint refuses anything but the internal token', async () => {
    const report = {
      version: 1,
      tenant_uuid: tenant.uuid,
      session_uuid: tenant.uuid,
      status: 'failed',
      reason: 'x',
    };
    const reply = await call('POST', '/internal/session-status', {
      headers: { Authorization: `Bearer ${stack.adminToken}` },
      json: report,
    });
    expectError(reply, 401, 'UNAUTHORIZED');
  });
});

describe('tenant isolation', () => {
  let a: TestTenant;
  let b: TestTenant;
  let sessionId: string;
  let uniqueIdentifier: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([newTenant(), newTenant()]);
    ({ sessionId, uniqueIdentifier } = await newSession(a));
  });

  it("tenant B's key gets 404 on every endpoint for tenant A's session", async () => {
    const replies = await Promise.all([
      b.as('GET', `/session?session_id=${sessionId}`),
      b.as('GET', `/session?unique_identifier=${uniqueIdentifier}`),
      b.as('GET', `/session/presigned-policy?session_id=${sessionId}&asset=screenshare`),
      b.as('GET', `/session/presigned-policy?unique_identifier=${uniqueIdentifier}&asset=webcam`),
      b.as('POST', '/session/process', { session_id: sessionId }),
      b.as('POST', '/session/candidate-token', { session_id: sessionId }),
      b.as('GET', `/session/clock?session_id=${sessionId}`),
    ]);
    for (const reply of replies) expectError(reply, 404, 'NOT_FOUND');
    const unknown = await b.as('GET', `/session?session_id=${crypto.randomUUID()}`);
    expect(errorOf(unknown).message).toBe(errorOf(replies[0] as Reply).message);
  });

  it('the same unique_identifier under two tenants is two sessions', async () => {
    const mine = await b.as('POST', '/session', {
      unique_identifier: uniqueIdentifier,
      session_metadata: {},
    });
    expect(mine.status).toBe(201);
    expect((mine.body as { session_id: string }).session_id).not.toBe(sessionId);
  });

  it('tenant B cannot see or change tenant A through the admin API without the admin token', async () => {
    const reply = await b.as('GET', `/admin/tenants/${a.uuid}/api-keys`);
    expectError(reply, 401, 'UNAUTHORIZED');
  });
});

describe('candidate tokens', () => {
  let tenant: TestTenant;
  let sessionA: string;
  let sessionB: string;
  let tokenA: string;
  beforeAll(async () => {
    tenant = await newTenant();
    sessionA = (await newSession(tenant)).sessionId;
    sessionB = (await newSession(tenant)).sessionId;
    tokenA = await candidateToken(tenant, sessionA);
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('a token of session A on session B → 403', async () => {
    const policy = await call('GET', `/session/presigned-policy?session_id=${sessionB}&asset=screenshare`, {
      headers: bearer(tokenA),
    });
    expectError(policy, 403, 'FORBIDDEN');
  });

  it('a tampered token → 401', async () => {
    const [kind, payload, signature] = tokenA.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, s: sessionB })).toString('base64url');
    const reply = await call('GET', '/session/presigned-policy?asset=screenshare', {
      headers: bearer(`${kind}.${forged}.${signature}`),
    });
    expectError(reply, 401, 'UNAUTHORIZED');
    const signatureBytes = Buffer.from(signature, 'base64url');
    signatureBytes[0] = (signatureBytes[0] ?? 0) ^ 1;
    const flipped = `${kind}.${payload}.${signatureBytes.toString('base64url')}`;
    expectError(
      await call('GET', '/session/presigned-policy?asset=screenshare', { headers: bearer(flipped) }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('an expired token → 401', async () => {
    const expired = await signToken(
      'ct1',
      {
        t: tenant.uuid,
        s: sessionA,
        sc: ['upload', 'clock', 'chunks'],
        exp: Math.floor(Date.now() / 1000) - 1,
      },
      stack.tokenSigningKey,
    );
    const reply = await call('GET', '/session/presigned-policy?asset=screenshare', {
      headers: bearer(expired),
    });
    expectError(reply, 401, 'UNAUTHORIZED');
    expect(errorOf(reply).message).toMatch(/Expired/);
  });

  it('a playback token is not a candidate token', async () => {
    const playback = await signToken(
      'pt1',
      { t: tenant.uuid, s: sessionA, sc: ['upload'], exp: Math.floor(Date.now() / 1000) + 60 },
      stack.tokenSigningKey,
    );
    expectError(
      await call('GET', '/session/presigned-policy?asset=screenshare', { headers: bearer(playback) }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('a token without the scope → 403', async () => {
    const clockOnly = await signToken(
      'ct1',
      { t: tenant.uuid, s: sessionA, sc: ['clock'], exp: Math.floor(Date.now() / 1000) + 60 },
      stack.tokenSigningKey,
    );
    const reply = await call('GET', '/session/presigned-policy?asset=screenshare', {
      headers: bearer(clockOnly),
    });
    expectError(reply, 403, 'FORBIDDEN');
  });

  it('a candidate token cannot act as a tenant: create, read, process, mint tokens', async () => {
    const replies = await Promise.all([
      call('POST', '/session', {
        headers: bearer(tokenA),
        json: { unique_identifier: 'x', session_metadata: {} },
      }),
      call('GET', `/session?session_id=${sessionA}`, { headers: bearer(tokenA) }),
      call('POST', '/session/process', { headers: bearer(tokenA), json: { session_id: sessionA } }),
      call('POST', '/session/candidate-token', { headers: bearer(tokenA), json: { session_id: sessionA } }),
    ]);
    for (const reply of replies) expectError(reply, 401, 'UNAUTHORIZED');
  });

  it('CORS is open on browser endpoints only', async () => {
    const preflight = (path: string) =>
      fetch(`${stack.apiBase}${path}`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://candidate.example', 'Access-Control-Request-Method': 'POST' },
      });
    for (const path of ['/session/presigned-policy', '/session/chunks', '/session/clock']) {
      const reply = await preflight(path);
      expect(reply.headers.get('access-control-allow-origin')).toBe('*');
      expect(reply.headers.get('access-control-allow-headers')).not.toMatch(/x-api-token/i);
    }
    for (const path of ['/session', '/session/process', '/session/candidate-token', '/admin/tenants']) {
      expect((await preflight(path)).headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('candidate tokens follow the tenant and the session', () => {
  it('a suspended tenant’s candidate token gets no policy and no chunk notice', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    await admin('PATCH', `/tenants/${tenant.uuid}`, { status: 'suspended' });
    const headers = { Authorization: `Bearer ${token}` };
    expectError(
      await call('GET', '/session/presigned-policy?asset=screenshare', { headers }),
      403,
      'FORBIDDEN',
    );
    const key = `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${formatChunkName({ seq: 0, startMs: Date.now() - 5000, durationMs: 5000, ext: 'webm' })}`;
    expectError(await call('POST', '/session/chunks', { headers, json: { key } }), 403, 'FORBIDDEN');
  });

  it('a processed session takes no more chunks', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const report = await reportReady(tenant.uuid, sessionId);
    expect(report.status).toBe(204);
    const key = `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${formatChunkName({ seq: 0, startMs: Date.now() - 5000, durationMs: 5000, ext: 'webm' })}`;
    const reply = await call('POST', '/session/chunks', {
      headers: { Authorization: `Bearer ${token}` },
      json: { key },
    });
    expectError(reply, 409, 'CONFLICT');
  });

  it('a chunk key of another session → 403', async () => {
    const tenant = await newTenant();
    const a = (await newSession(tenant)).sessionId;
    const b = (await newSession(tenant)).sessionId;
    const token = await candidateToken(tenant, a);
    const key = `${rawPrefix(tenant.uuid, b, 'screenshare')}${formatChunkName({ seq: 0, startMs: Date.now() - 5000, durationMs: 5000, ext: 'webm' })}`;
    const reply = await call('POST', '/session/chunks', {
      headers: { Authorization: `Bearer ${token}` },
      json: { key },
    });
    expectError(reply, 403, 'FORBIDDEN');
  });

  it('a clock exchange is recorded only with the server’s receipt for it', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const headers = { Authorization: `Bearer ${token}` };
    const first = await call('POST', '/session/clock', { headers, json: { t0: Date.now() } });
    const { t0, server_ms, receipt } = first.body as { t0: number; server_ms: number; receipt: string };
    const forged = { t0, server_ms: server_ms + 3_600_000, t3: Date.now(), receipt };
    expectError(
      await call('POST', '/session/clock', { headers, json: { t0: Date.now(), previous: forged } }),
      400,
      'BAD_REQUEST',
    );
    const honest = { t0, server_ms, t3: Date.now(), receipt };
    expect(
      (await call('POST', '/session/clock', { headers, json: { t0: Date.now(), previous: honest } })).status,
    ).toBe(200);
  });
});

describe('request ids and reports', () => {
  it('ignores a request id the client sends', async () => {
    const reply = await call('GET', '/nowhere', { headers: { 'X-Request-Id': 'attacker-chosen' } });
    expect(reply.headers.get('x-request-id')).not.toBe('attacker-chosen');
    expect(errorOf(reply).requestId).toBe(reply.headers.get('x-request-id'));
  });

  it('CORS is not open on the tenant’s clock report', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const reply = await fetch(`${stack.apiBase}/session/clock?session_id=${sessionId}`, {
      headers: { 'X-API-TOKEN': tenant.apiKey, Origin: 'https://elsewhere.example' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a status report whose playback key lies outside the session is refused', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const base = { tenant_uuid: tenant.uuid, session_uuid: sessionId, status: 'ready' };
    for (const key of [
      'proctor/ies/other/x.mp4',
      `${sessionPrefix(tenant.uuid, sessionId)}screenshare/raw/000000-1-1.webm`,
      `${sessionPrefix(tenant.uuid, sessionId)}screenshare/processed/../raw/x.webm`,
    ]) {
      const reply = await reportStatus({ ...base, playback: { type: 'fullvideo', key } });
      expectError(reply, 400, 'BAD_REQUEST');
    }
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).status).toBe(200);
  });
});
