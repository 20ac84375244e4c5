/** Integrity events on the stack: who may post what, retries, whole-batch refusal, tenants apart, paging. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../worker/auth/tokens.ts';
import {
  admin,
  call,
  candidateToken,
  errorOf,
  newSession,
  newTenant,
  type Reply,
  stack,
  type TestTenant,
  withKey,
} from './support.ts';

interface Event {
  event_id: string;
  type: string;
  source: string;
  severity: string;
  occurred_at_ms: number;
  details: Record<string, unknown>;
  idempotency_key: string;
}

const event = (type: string, occurredAtMs: number, extra: Record<string, unknown> = {}) => ({
  type,
  occurred_at_ms: occurredAtMs,
  severity: 'warning',
  details: {},
  idempotency_key: randomUUID(),
  ...extra,
});

/** A candidate token as the service signs them, for scopes or tenants POST /session/candidate-token never gives. */
const mintToken = (tenantUuid: string, sessionUuid: string, scopes: string[]) =>
  signToken(
    'ct1',
    { t: tenantUuid, s: sessionUuid, sc: scopes, exp: Math.floor(Date.now() / 1000) + 60 },
    stack.tokenSigningKey,
  );

const asCandidate = (token: string, json: unknown) =>
  call('POST', '/session/events', { headers: { Authorization: `Bearer ${token}` }, json });

function expectError(reply: Reply, status: number, code: string) {
  expect(reply.status, reply.text).toBe(status);
  expect(errorOf(reply).code).toBe(code);
}

async function eventsOf(tenant: TestTenant, sessionId: string): Promise<Event[]> {
  const reply = await tenant.as('GET', `/session/events?session_id=${sessionId}&limit=500`);
  expect(reply.status, reply.text).toBe(200);
  return (reply.body as { events: Event[] }).events;
}

let tenant: TestTenant;
let sessionId: string;
let token: string;
const t = Date.now();

beforeAll(async () => {
  tenant = await newTenant();
  ({ sessionId } = await newSession(tenant));
  token = await candidateToken(tenant, sessionId);
});

describe('POST /session/events', () => {
  it('takes any type from the tenant and the recorder’s own signals from the candidate, each with its source', async () => {
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const fromTenant = await tenant.as('POST', '/session/events', {
      session_id: sessionId,
      events: [event('phone_detected', t + 2, { severity: 'critical', details: { confidence: 0.93 } })],
    });
    expect(fromTenant.body).toEqual({ stored: 1, duplicates: 0 });
    const fromCandidate = await asCandidate(token, {
      events: [event('share_stopped', t + 1), event('webcam_lost', t + 3, { details: { kind: 'video' } })],
    });
    expect(fromCandidate.body).toEqual({ stored: 2, duplicates: 0 });

    expect(await eventsOf(tenant, sessionId)).toMatchObject([
      { type: 'share_stopped', source: 'candidate', occurred_at_ms: t + 1 },
      { type: 'phone_detected', source: 'tenant', severity: 'critical', details: { confidence: 0.93 } },
      { type: 'webcam_lost', source: 'candidate', details: { kind: 'video' } },
    ]);
  });

  it('refuses a candidate’s batch holding a type of the tenant’s, naming the item, and stores none of it', async () => {
    const { sessionId } = await newSession(tenant);
    const reply = await asCandidate(await candidateToken(tenant, sessionId), {
      events: [event('page_hidden', t), event('phone_detected', t)],
    });
    expectError(reply, 400, 'BAD_REQUEST');
    expect(errorOf(reply).message).toMatch(/^events\.1\.type: /);
    expect(await eventsOf(tenant, sessionId)).toEqual([]);
  });

  it('ignores a retried idempotency key; the candidate’s keys never shadow the tenant’s', async () => {
    const { sessionId } = await newSession(tenant);
    const batch = [event('page_hidden', t), event('page_visible', t + 1)];
    const token = await candidateToken(tenant, sessionId);
    expect((await asCandidate(token, { events: batch })).body).toEqual({ stored: 2, duplicates: 0 });
    expect((await asCandidate(token, { events: batch })).body).toEqual({ stored: 0, duplicates: 2 });
    const again = { ...batch[0], idempotency_key: batch[0]?.idempotency_key, type: 'page_visible' };
    expect((await asCandidate(token, { events: [again, again] })).body).toEqual({ stored: 0, duplicates: 2 });
    const sameKeyFromTenant = await tenant.as('POST', '/session/events', {
      session_id: sessionId,
      events: [event('reviewed', t + 2, { idempotency_key: batch[0]?.idempotency_key })],
    });
    expect(sameKeyFromTenant.body).toEqual({ stored: 1, duplicates: 0 });
    expect((await eventsOf(tenant, sessionId)).map((e) => `${e.source}:${e.type}`)).toEqual([
      'candidate:page_hidden',
      'candidate:page_visible',
      'tenant:reviewed',
    ]);
  });

  it('rejects a bad batch whole with the bad item’s index and field, storing nothing', async () => {
    const { sessionId } = await newSession(tenant);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ severity: 'fatal' }, /^events\.3\.severity: /],
      [{ details: { text: 'x'.repeat(5000) } }, /^events\.3\.details: .*4096 bytes/],
      [{ idempotency_key: '' }, /^events\.3\.idempotency_key: /],
      [{ type: 'Not A Type' }, /^events\.3\.type: /],
      [{ occurred_at_ms: -5 }, /^events\.3\.occurred_at_ms: /],
      [{ extra: true }, /^events\.3: /],
    ];
    for (const [fault, message] of cases) {
      const events = [0, 1, 2, 3, 4].map((i) => event('note', t + i, i === 3 ? fault : {}));
      const reply = await tenant.as('POST', '/session/events', { session_id: sessionId, events });
      expectError(reply, 400, 'BAD_REQUEST');
      expect(errorOf(reply).message).toMatch(message);
    }
    const tooMany = Array.from({ length: 101 }, (_, i) => event('note', t + i));
    expectError(
      await tenant.as('POST', '/session/events', { session_id: sessionId, events: tooMany }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await tenant.as('POST', '/session/events', { session_id: sessionId, events: [] }),
      400,
      'BAD_REQUEST',
    );
    expectError(
      await tenant.as('POST', '/session/events', { events: [event('note', t)] }),
      400,
      'BAD_REQUEST',
    );
    expect(await eventsOf(tenant, sessionId)).toEqual([]);
  });

  it('needs events:write on a key (existing keys keep their scopes) and events on a candidate token', async () => {
    const issued = await admin('POST', `/tenants/${tenant.uuid}/api-keys`, {
      scopes: ['session:read', 'session:create', 'session:upload', 'session:process'],
    });
    const { api_key, api_key_id } = issued.body as { api_key: string; api_key_id: string };
    const oldScopes = withKey(tenant.uuid, api_key, api_key_id);
    expectError(
      await oldScopes.as('POST', '/session/events', { session_id: sessionId, events: [event('note', t)] }),
      403,
      'FORBIDDEN',
    );
    const clockOnly = await mintToken(tenant.uuid, sessionId, ['clock']);
    expectError(await asCandidate(clockOnly, { events: [event('page_hidden', t)] }), 403, 'FORBIDDEN');
    expectError(
      await call('POST', '/session/events', { json: { events: [event('x', t)] } }),
      401,
      'UNAUTHORIZED',
    );
  });
});

describe('tenants apart', () => {
  it('tenant B neither reads nor writes A’s events (404); A’s candidate cannot name another session (403)', async () => {
    const b = await newTenant();
    expectError(await b.as('GET', `/session/events?session_id=${sessionId}`), 404, 'NOT_FOUND');
    expectError(
      await b.as('POST', '/session/events', { session_id: sessionId, events: [event('note', t)] }),
      404,
      'NOT_FOUND',
    );
    const other = (await newSession(tenant)).sessionId;
    expectError(
      await asCandidate(token, { session_id: other, events: [event('page_hidden', t)] }),
      403,
      'FORBIDDEN',
    );
    // A token B minted naming A's session finds no such session of B's.
    const foreign = await mintToken(b.uuid, sessionId, ['events']);
    expectError(await asCandidate(foreign, { events: [event('page_hidden', t)] }), 404, 'NOT_FOUND');
    expect(await eventsOf(tenant, sessionId)).toEqual([]);
  });
});

describe('GET /session/events', () => {
  it('pages in (occurred_at_ms, arrival) order with a cursor until next_cursor is null', async () => {
    const { sessionId } = await newSession(tenant);
    const times = [t + 50, t + 10, t + 30, t + 10, t + 40, t + 10, t + 20];
    await tenant.as('POST', '/session/events', {
      session_id: sessionId,
      events: times.map((time, i) => event(`note.${i}`, time)),
    });
    const seen: Event[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `session_id=${sessionId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await tenant.as('GET', `/session/events?${query}`)).body as {
        events: Event[];
        next_cursor: string | null;
      };
      seen.push(...page.events);
      pages.push(page.events.length);
      cursor = page.next_cursor;
    } while (cursor);
    expect(pages).toEqual([3, 3, 1]);
    expect(seen.map((e) => e.type)).toEqual([
      'note.1',
      'note.3',
      'note.5',
      'note.6',
      'note.2',
      'note.4',
      'note.0',
    ]);
    expectError(
      await tenant.as('GET', `/session/events?session_id=${sessionId}&cursor=nonsense`),
      400,
      'BAD_REQUEST',
    );
  });
});

describe('the OpenAPI document', () => {
  it('describes the events endpoints and the clock socket', async () => {
    const { paths } = (await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(paths['/ies/api/v2/session/events'] ?? {})).toEqual(['post', 'get']);
    expect(paths['/ies/api/v2/session/clock/socket']).toHaveProperty('get');
  });
});
