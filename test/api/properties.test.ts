/**
 * Generated requests against every endpoint (fast-check): bodies, query strings and headers built from
 * valid ones and then broken — a field replaced by any JSON value, a field dropped or added, the body
 * replaced by any JSON or by text that is not JSON, headers of any text. Whatever comes in, the answer is
 * never a 5xx, a 4xx carries the error envelope, and a refused request writes nothing.
 */
import fc from 'fast-check';
import { createConnection } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  candidateToken,
  newSession,
  newTenant,
  type Reply,
  stack,
  type TestTenant,
} from './support.ts';

let tenant: TestTenant;
let sessionId: string;
let token: string;

async function rowCounts(tenantUuid: string) {
  const db = await createConnection(stack.mysql.rootUrl);
  try {
    const [sessions] = await db.query('SELECT COUNT(*) AS n FROM sessions WHERE tenant_uuid = ?', [
      tenantUuid,
    ]);
    const [keys] = await db.query('SELECT COUNT(*) AS n FROM api_keys WHERE tenant_uuid = ?', [tenantUuid]);
    return { sessions: (sessions as { n: number }[])[0]?.n, keys: (keys as { n: number }[])[0]?.n };
  } finally {
    await db.end();
  }
}

function expectHandled(reply: Reply, what: string) {
  expect(reply.status, `${what} → ${reply.status} ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(reply.body, what).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String), requestId: expect.any(String) },
    });
  }
}

/** Text a header can carry (visible ASCII and space): fetch refuses anything else before sending. */
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);

/** A valid body broken one way or another (or left valid, so the happy path is in the mix too). */
function mutated(valid: Record<string, unknown>) {
  const fields = Object.keys(valid);
  return fc.oneof(
    fc.constant(valid),
    fc
      .tuple(fc.constantFrom(...fields), fc.jsonValue())
      .map(([field, value]) => ({ ...valid, [field]: value })),
    fc
      .constantFrom(...fields)
      .map((field) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field))),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue())
      .map(([field, value]) => ({ ...valid, [field]: value })),
    fc.jsonValue(),
  );
}

async function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return call(method, path, { headers: { 'Content-Type': 'application/json', ...headers }, body });
}

beforeAll(async () => {
  tenant = await newTenant();
  ({ sessionId } = await newSession(tenant));
  token = await candidateToken(tenant, sessionId);
});

describe('generated requests', () => {
  const runs = { numRuns: 60 };

  it('JSON bodies of every POST endpoint, broken any way, never give a 5xx or a partial write', async () => {
    const asTenant = { 'X-API-TOKEN': tenant.apiKey };
    const asCandidate = { Authorization: `Bearer ${token}` };
    const asAdmin = { Authorization: `Bearer ${stack.adminToken}` };
    const endpoints: Array<[string, Record<string, string>, Record<string, unknown>]> = [
      ['/session', asTenant, { unique_identifier: 'generated', session_metadata: { product_type: 'test' } }],
      ['/session/process', asTenant, { session_id: sessionId, reprocess: false }],
      ['/session/candidate-token', asTenant, { session_id: sessionId }],
      [
        '/session/chunks',
        asCandidate,
        { key: `proctor/ies/${tenant.uuid}/${sessionId}/screenshare/raw/000000-1764158400000-5000.webm` },
      ],
      [
        '/session/clock',
        asCandidate,
        { t0: 1_764_158_400_000, previous: { t0: 1, server_ms: 2, t3: 3, receipt: 'x' } },
      ],
      [`/admin/tenants/${tenant.uuid}/api-keys`, asAdmin, { label: 'generated', scopes: ['session:read'] }],
    ];
    for (const [path, headers, valid] of endpoints) {
      const before = await rowCounts(tenant.uuid);
      let refusedAll = true;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            mutated(valid).map((body) => JSON.stringify(body)),
            fc.string(),
          ),
          async (body) => {
            const reply = await raw('POST', path, headers, body);
            expectHandled(reply, `POST ${path} ${body.slice(0, 200)}`);
            if (reply.status < 400) refusedAll = false;
          },
        ),
        runs,
      );
      // Only accepted requests may have written: where every one was refused, nothing changed.
      if (refusedAll) expect(await rowCounts(tenant.uuid), path).toEqual(before);
    }
  });

  it('query strings and headers of the GET endpoints, any text, never give a 5xx', async () => {
    const value = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.uuid(), fc.constant(sessionId));
    const paths = ['/session', '/session/presigned-policy', '/session/clock'];
    const params = [
      'session_id',
      'unique_identifier',
      'asset',
      'content_type',
      'product_type',
      'product_id',
      'x',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.array(fc.tuple(fc.constantFrom(...params), value), { maxLength: 4 }),
        fc.oneof(
          fc.constant({ 'X-API-TOKEN': tenant.apiKey }),
          fc.constant({ Authorization: `Bearer ${token}` }),
          headerText.map((text) => ({ 'X-API-TOKEN': text })),
          headerText.map((text) => ({ Authorization: `Bearer ${text}` })),
        ),
        async (path, query, headers) => {
          const search = new URLSearchParams(query).toString();
          const reply = await call('GET', `${path}?${search}`, { headers });
          expectHandled(reply, `GET ${path}?${search}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('headers of any text on a JSON endpoint never give a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            'Content-Type',
            'Content-Length-Hint',
            'X-API-TOKEN',
            'Authorization',
            'Origin',
            'Accept',
          ),
          headerText,
        ),
        async (headers) => {
          const reply = await call('POST', '/session', {
            headers,
            body: JSON.stringify({ unique_identifier: 'headers', session_metadata: {} }),
          });
          expectHandled(reply, `POST /session ${JSON.stringify(headers)}`);
        },
      ),
      runs,
    );
  });
});
