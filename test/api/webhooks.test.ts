/**
 * Webhooks on the running stack: tenants and operators register endpoints, events reported by the
 * transcoder (and the Worker's own session.deleted) reach a local receiver signed Stripe-style, failed
 * deliveries are retried (0.5 s, 1 s, … in the test stack) and listed with their attempts, and nothing
 * crosses tenants.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_API_KEY_SCOPES } from '../../contracts/api.ts';
import { sessionPrefix } from '../../contracts/storage.ts';
import { WebhookDelivery, type WebhookPayload } from '../../contracts/webhooks.ts';
import { admin, call, errorOf, newSession, newTenant, stack, type TestTenant, withKey } from './support.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** How many more requests to each path the receiver answers 500 to before it accepts. */
const failures = new Map<string, number>();

/**
 * Checks `IES-Signature: t=<unix>,v1=<hex>` over `<t>.<body>` with the secret, as a tenant would, with
 * node:crypto rather than the Worker's code, and a timestamp no older than five minutes.
 */
function verify(secret: string, header: string | undefined, body: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(String(parts.v1), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const at = (path: string) => received.filter((request) => request.path === path);

/** A tenant whose key may also manage webhooks. */
const webhookTenant = () => newTenant({ scopes: [...DEFAULT_API_KEY_SCOPES, 'webhooks:manage'] });

async function register(tenant: TestTenant, path: string, events: string[]) {
  const reply = await tenant.as('POST', '/webhooks', { url: `${receiverUrl}${path}`, events });
  expect(reply.status).toBe(201);
  return reply.body as { webhook_id: string; secret: string };
}

/** Reports an event as the transcoder does. */
const reportEvent = (event: Record<string, unknown>) =>
  call('POST', '/internal/events', {
    headers: { Authorization: `Bearer ${stack.internalToken}` },
    json: { version: 1, occurred_at: new Date().toISOString(), ...event },
  });

const processed = (tenant: TestTenant, sessionId: string) => ({
  type: 'session.processed',
  tenant_uuid: tenant.uuid,
  session_uuid: sessionId,
  playback: { type: 'hls_masterplaylist', key: 'k' },
  duration_ms: 1000,
  manifest_key: 'm',
});

async function deliveries(tenant: TestTenant, webhookId: string) {
  const reply = await tenant.as('GET', `/webhooks/${webhookId}/deliveries`);
  expect(reply.status).toBe(200);
  return (reply.body as { deliveries: unknown[] }).deliveries.map((item) => WebhookDelivery.parse(item));
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (data) => (body += data));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ path, headers: request.headers, body });
      const left = failures.get(path) ?? 0;
      if (left > 0) failures.set(path, left - 1);
      response.writeHead(left > 0 ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(() => {
  receiver?.close();
});

describe('webhook endpoints', () => {
  it('need the webhooks:manage scope, which keys do not get by default', async () => {
    const plain = await newTenant();
    const reply = await plain.as('POST', '/webhooks', {
      url: `${receiverUrl}/x`,
      events: ['session.failed'],
    });
    expect(reply.status).toBe(403);
    expect(errorOf(reply).message).toContain('webhooks:manage');
    expect(DEFAULT_API_KEY_SCOPES).not.toContain('webhooks:manage');
  });

  it('show the secret once, at registration, and list the endpoint without it', async () => {
    const tenant = await webhookTenant();
    const created = await register(tenant, '/listed', ['session.processed', 'session.failed']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = await tenant.as('GET', '/webhooks');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(created.secret);
    expect(list.body).toMatchObject({
      webhooks: [{ webhook_id: created.webhook_id, events: ['session.processed', 'session.failed'] }],
    });
    const one = await tenant.as('GET', `/webhooks/${created.webhook_id}`);
    expect(one.text).not.toContain(created.secret);
  });

  it('refuse a URL that is not https (other than loopback) and an unknown event type', async () => {
    const tenant = await webhookTenant();
    for (const body of [
      { url: 'http://hooks.example.com/x', events: ['session.failed'] },
      { url: 'https://hooks.example.com/x', events: ['session.started'] },
      { url: 'https://hooks.example.com/x', events: [] },
    ]) {
      expect((await tenant.as('POST', '/webhooks', body)).status).toBe(400);
    }
  });

  it('are managed by operators with the admin token too', async () => {
    const tenant = await newTenant();
    const created = await admin('POST', `/tenants/${tenant.uuid}/webhooks`, {
      url: `${receiverUrl}/admin`,
      events: ['session.deleted'],
    });
    expect(created.status).toBe(201);
    const id = (created.body as { webhook_id: string }).webhook_id;
    expect((await admin('GET', `/tenants/${tenant.uuid}/webhooks`)).body).toMatchObject({
      webhooks: [{ webhook_id: id }],
    });
    expect((await admin('DELETE', `/tenants/${tenant.uuid}/webhooks/${id}`)).status).toBe(204);
    expect((await admin('GET', `/tenants/${tenant.uuid}/webhooks/${id}`)).status).toBe(404);
  });
});

describe('deliveries', () => {
  it('are signed over the exact body, which a tampered body fails', async () => {
    const tenant = await webhookTenant();
    const { secret } = await register(tenant, '/signed', ['session.processed']);
    const { sessionId } = await newSession(tenant);
    expect((await reportEvent(processed(tenant, sessionId))).status).toBe(204);
    const [request] = await until('the delivery', () => (at('/signed').length ? at('/signed') : undefined));
    if (!request) throw new Error('no delivery');
    const signature = request.headers['ies-signature'] as string;
    expect(verify(secret, signature, request.body)).toBe(true);
    const tampered = request.body.replace('"duration_ms":1000', '"duration_ms":1001');
    expect(tampered).not.toBe(request.body);
    expect(verify(secret, signature, tampered)).toBe(false);
    expect(verify('whsec_another', signature, request.body)).toBe(false);
    const payload = JSON.parse(request.body) as WebhookPayload;
    expect(payload).toMatchObject({
      type: 'session.processed',
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      data: { duration_ms: 1000 },
    });
    expect(request.headers['ies-event-id']).toBe(payload.id);
  });

  it('that fail twice are retried with backoff, and accepted exactly once', async () => {
    const tenant = await webhookTenant();
    const { webhook_id, secret } = await register(tenant, '/flaky', ['session.failed']);
    failures.set('/flaky', 2);
    const { sessionId } = await newSession(tenant);
    const event = { type: 'session.failed', tenant_uuid: tenant.uuid, session_uuid: sessionId, reason: 'x' };
    expect((await reportEvent(event)).status).toBe(204);
    const [delivery] = await until('the delivery to be accepted', async () => {
      const listed = await deliveries(tenant, webhook_id);
      return listed[0]?.status === 'delivered' ? listed : undefined;
    });
    expect(delivery?.attempts.map((attempt) => attempt.response_status)).toEqual([500, 500, 200]);
    const times = (delivery?.attempts ?? []).map((attempt) => Date.parse(attempt.attempted_at));
    // Waits of 0.5 s then 1 s (WEBHOOK_RETRY_BASE_MS in the test stack), each at least that long.
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(500);
    expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(1000);
    // Every attempt carries the same body and event id, each signed afresh.
    const requests = at('/flaky');
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    for (const request of requests) {
      expect(verify(secret, request.headers['ies-signature'] as string, request.body)).toBe(true);
    }
    // Nothing more once accepted.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(at('/flaky')).toHaveLength(3);
    expect(await deliveries(tenant, webhook_id)).toHaveLength(1);
  });

  it('are made once per event, however often it is reported, and only for subscribed types', async () => {
    const tenant = await webhookTenant();
    const { webhook_id } = await register(tenant, '/once', ['session.processed']);
    const { sessionId } = await newSession(tenant);
    const event = processed(tenant, sessionId);
    const sent = { ...event, occurred_at: new Date().toISOString() };
    expect((await reportEvent(sent)).status).toBe(204);
    expect((await reportEvent(sent)).status).toBe(204);
    await reportEvent({
      type: 'session.failed',
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      reason: 'y',
    });
    await until('the delivery', () => (at('/once').length ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(at('/once')).toHaveLength(1);
    expect((await deliveries(tenant, webhook_id)).map((delivery) => delivery.event_type)).toEqual([
      'session.processed',
    ]);
  });

  it('tell of a storyboard and a stitched video written after the session was ready', async () => {
    const tenant = await webhookTenant();
    await register(tenant, '/derived', ['storyboard.available', 'stitched_video.available']);
    const { sessionId } = await newSession(tenant);
    const processed = `${sessionPrefix(tenant.uuid, sessionId)}screenshare/processed/`;
    const about = {
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      manifest_key: `${processed}manifest.json`,
    };
    const storyboard = {
      ...about,
      type: 'storyboard.available',
      asset: 'screenshare',
      vtt_key: `${processed}frame_thumbnails/storyboard.vtt`,
      sheet_keys: [`${processed}frame_thumbnails/sheet_0.jpg`],
    };
    const stitched = {
      ...about,
      type: 'stitched_video.available',
      asset: 'screenshare',
      key: `${processed}stitched_video/recording.mp4`,
    };
    expect((await reportEvent(storyboard)).status).toBe(204);
    expect((await reportEvent(stitched)).status).toBe(204);
    const bodies = await until('both deliveries', () => {
      const got = at('/derived').map((request) => JSON.parse(request.body) as WebhookPayload);
      return got.length === 2 ? got : undefined;
    });
    expect(bodies.map((body) => [body.type, body.data]).sort()).toEqual([
      [
        'stitched_video.available',
        { asset: 'screenshare', key: stitched.key, manifest_key: about.manifest_key },
      ],
      [
        'storyboard.available',
        {
          asset: 'screenshare',
          vtt_key: storyboard.vtt_key,
          sheet_keys: storyboard.sheet_keys,
          manifest_key: about.manifest_key,
        },
      ],
    ]);
  });

  it('tell of a deleted session once its objects are removed', async () => {
    const tenant = await newTenant({ scopes: ['session:create', 'session:delete', 'webhooks:manage'] });
    const { secret } = await register(tenant, '/deleted', ['session.deleted']);
    const { sessionId } = await newSession(tenant);
    const deleted = await tenant.as('DELETE', `/session?session_id=${sessionId}`);
    expect(deleted.status).toBe(202);
    const report = {
      version: 1,
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      deletion_id: (deleted.body as { deletion_id: string }).deletion_id,
      scope: 'session',
      objects_removed: 3,
      bytes_removed: 300,
    };
    const headers = { Authorization: `Bearer ${stack.internalToken}` };
    for (let i = 0; i < 2; i++) {
      expect((await call('POST', '/internal/deletion-report', { headers, json: report })).status).toBe(204);
    }
    const [request] = await until('the delivery', () => (at('/deleted').length ? at('/deleted') : undefined));
    expect(verify(secret, request?.headers['ies-signature'] as string, request?.body ?? '')).toBe(true);
    expect(JSON.parse(request?.body ?? '')).toMatchObject({
      type: 'session.deleted',
      session_uuid: sessionId,
      data: { deletion_id: report.deletion_id, objects_removed: 3 },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(at('/deleted')).toHaveLength(1);
  });
});

describe('tenant isolation', () => {
  it('keeps each tenant’s endpoints, deliveries and events its own', async () => {
    const a = await webhookTenant();
    const b = await webhookTenant();
    const hookA = await register(a, '/tenant-a', ['session.processed']);
    const hookB = await register(b, '/tenant-b', ['session.processed']);
    for (const path of [`/webhooks/${hookA.webhook_id}`, `/webhooks/${hookA.webhook_id}/deliveries`]) {
      expect((await b.as('GET', path)).status).toBe(404);
    }
    expect((await b.as('DELETE', `/webhooks/${hookA.webhook_id}`)).status).toBe(404);
    expect((await b.as('GET', '/webhooks')).text).not.toContain(hookA.webhook_id);
    const { sessionId } = await newSession(a);
    expect((await reportEvent(processed(a, sessionId))).status).toBe(204);
    // An event naming A's session under B's id is of no session B has.
    expect((await reportEvent(processed(b, sessionId))).status).toBe(404);
    await until('A’s delivery', () => (at('/tenant-a').length ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(at('/tenant-b')).toHaveLength(0);
    expect(await deliveries(b, hookB.webhook_id)).toEqual([]);
    // A key of A without the scope cannot read A's webhooks either.
    const issued = await admin('POST', `/tenants/${a.uuid}/api-keys`, { scopes: ['session:read'] });
    const body = issued.body as { api_key: string; api_key_id: string };
    expect((await withKey(a.uuid, body.api_key, body.api_key_id).as('GET', '/webhooks')).status).toBe(403);
  });
});
