/** Attacks on the running stack, each once seen working: what they tried, and that it no longer works. */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../contracts/api.ts';
import { Job } from '../../contracts/jobs.ts';
import { formatChunkName, rawPrefix, sessionPrefix } from '../../contracts/storage.ts';
import { signToken } from '../../worker/auth/tokens.ts';
import {
  admin,
  call,
  candidateToken,
  drainQueue,
  errorOf,
  masterKey,
  newSession,
  newTenant,
  putObject,
  type Reply,
  reportReady,
  reportStatus,
  sql,
  stack,
} from './support.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

describe('the upload gate cache', () => {
  it("a token naming another tenant's session does not lock that session's own candidate out", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { sessionId } = await newSession(a);
    // A correctly signed token of tenant B's, naming tenant A's session: B's side minted it for an id it saw.
    const foreign = await signToken(
      'ct1',
      { t: b.uuid, s: sessionId, sc: ['upload', 'clock', 'chunks'], exp: inAMinute() },
      stack.tokenSigningKey,
    );
    const policy = '/session/presigned-policy?asset=screenshare';
    expect((await call('GET', policy, { headers: bearer(foreign) })).status).toBe(404);
    const own = await candidateToken(a, sessionId);
    expect((await call('GET', policy, { headers: bearer(own) })).status).toBe(200);
  });
});

/** An object nested `depth` levels deep, the outermost counting as one. */
const nested = (depth: number): Record<string, unknown> =>
  depth <= 1 ? { leaf: true } : { inner: nested(depth - 1) };

describe('JSON the database would refuse', () => {
  it('session metadata nested past the limit is a 400, not a 500, and nothing is stored', async () => {
    const tenant = await newTenant();
    for (const depth of [MAX_JSON_DEPTH + 1, 32, 33]) {
      const unique_identifier = `deep-${depth}-${Date.now()}`;
      const reply = await tenant.as('POST', '/session', {
        unique_identifier,
        session_metadata: nested(depth),
      });
      expect(reply.status).toBe(400);
      expect((await tenant.as('GET', `/session?unique_identifier=${unique_identifier}`)).status).toBe(404);
    }
    const deepest = await tenant.as('POST', '/session', {
      unique_identifier: `deep-ok-${Date.now()}`,
      session_metadata: nested(MAX_JSON_DEPTH),
    });
    expect(deepest.status).toBe(201);
  });

  it('tenant config nested past the limit is a 400, not a 500', async () => {
    const slug = `deep-${Date.now()}`;
    const reply = await admin('POST', '/tenants', { slug, name: 'Deep', config: nested(32) });
    expect(reply.status).toBe(400);
    const created = await admin('POST', '/tenants', { slug, name: 'Deep', config: nested(MAX_JSON_DEPTH) });
    expect(created.status).toBe(201);
  });
});

describe('the internal status report', () => {
  it('stores ids in lower case however they are spelt, and reading the session never fails on them', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const upper = { tenant: tenant.uuid.toUpperCase(), session: sessionId.toUpperCase() };
    const reply = await reportStatus({
      tenant_uuid: upper.tenant,
      session_uuid: upper.session,
      status: 'ready',
      playback: { type: 'hls_masterplaylist', key: masterKey(tenant.uuid, sessionId) },
    });
    expect(reply.status).toBe(204);
    const read = await tenant.as('GET', `/session?session_id=${sessionId}`);
    expect(read.status).toBe(200);
    expect((read.body as { playback: { url: string } }).playback.url).toContain(
      '/screenshare/processed/hls_playlist/master.m3u8',
    );
    // A key spelt with the upper-case ids lies outside the session's (lower-case) folder.
    const upperKey = masterKey(upper.tenant, upper.session);
    const spelt = await reportStatus({
      tenant_uuid: upper.tenant,
      session_uuid: upper.session,
      status: 'ready',
      playback: { type: 'hls_masterplaylist', key: upperKey },
    });
    expect(spelt.status).toBe(400);
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).status).toBe(200);
  });

  it('refuses a playback key longer than the database keeps', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const long = `${sessionPrefix(tenant.uuid, sessionId)}screenshare/processed/${'a'.repeat(1100)}.mp4`;
    const reply = await reportStatus({
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      status: 'ready',
      playback: { type: 'fullvideo', key: long },
    });
    expect(reply.status).toBe(400);
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).status).toBe(200);
  });

  it('refuses (409) a failure for a ready session, which stays ready with its playback', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    expect((await reportReady(tenant.uuid, sessionId)).status).toBe(204);
    const failed = await reportStatus({
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      status: 'failed',
      failure_code: 'processing_error',
      reason: 'the stitched video could not be made',
    });
    expect(failed.status).toBe(409);
    expect(errorOf(failed).code).toBe('CONFLICT');
    const read = await tenant.as('GET', `/session?session_id=${sessionId}`);
    expect(read.body).toMatchObject({
      status: 'ready',
      failure: null,
      playback: { type: 'hls_masterplaylist' },
    });
    // The ready report itself may come again (a finalize delivered twice): that is no conflict.
    expect((await reportReady(tenant.uuid, sessionId)).status).toBe(204);
  });

  it('a stored playback key that is not playable reads as no playback, not a 500', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    await sql(
      "UPDATE sessions SET status = 'ready', playback_type = 'fullvideo', playback_key = ? WHERE uuid = ?",
      ['proctor/ies/elsewhere/x.mp4', sessionId],
    );
    const read = await tenant.as('GET', `/session?session_id=${sessionId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ status: 'ready', playback: null });
  });
});

describe('links the API hands out', () => {
  it("a playback URL is built on the configured public origin, not the request's Host header", async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    await reportReady(tenant.uuid, sessionId);
    const api = new URL(stack.apiBase);
    // fetch does not let a caller choose Host; a raw request does, as any attacker's client would.
    const body = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        {
          host: api.hostname,
          port: api.port,
          path: `${api.pathname}/session?session_id=${sessionId}`,
          headers: { Host: 'evil.example', 'X-API-TOKEN': tenant.apiKey },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve(text));
        },
      );
      request.on('error', reject);
      request.end();
    });
    const url = new URL((JSON.parse(body) as { playback: { url: string } }).playback.url);
    expect(url.origin).toBe(api.origin);
  });
});

describe('a suspended tenant', () => {
  it("closes its candidates' clock exchanges and its playback URLs already handed out", async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    await reportReady(tenant.uuid, sessionId);
    const { playback } = (await tenant.as('GET', `/session?session_id=${sessionId}`)).body as {
      playback: { url: string };
    };
    await admin('PATCH', `/tenants/${tenant.uuid}`, { status: 'suspended' });

    const exchange = await call('POST', '/session/clock', {
      headers: bearer(token),
      json: { t0: Date.now() },
    });
    expect(exchange.status).toBe(403);
    const media = await fetch(playback.url);
    expect(media.status).toBe(403);
    expect(((await media.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
  });
});

describe('chunk notices', () => {
  /** `CHUNK_NOTICES` in wrangler.toml. */
  const NOTICES_PER_MINUTE = 120;
  const chunkKey = (tenantUuid: string, sessionId: string, seq: number) =>
    `${rawPrefix(tenantUuid, sessionId, 'screenshare')}${formatChunkName({ seq, startMs: Date.now() - 60_000, durationMs: 5000, ext: 'webm' })}`;

  it('for an object that was never uploaded are refused, and no job is queued', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const reply = await call('POST', '/session/chunks', {
      headers: bearer(token),
      json: { key: chunkKey(tenant.uuid, sessionId, 0) },
    });
    expect(reply.status).toBe(404);
    const jobs = await drainQueue(stack.sqs.jobsQueueUrl, (body) => Job.parse(body));
    expect(jobs.filter((job) => job.session_uuid === sessionId)).toEqual([]);
  });

  it('are limited per session, with Retry-After, and the limit reaches no other session', async () => {
    const tenant = await newTenant();
    const flooded = await newSession(tenant);
    const token = await candidateToken(tenant, flooded.sessionId);
    // Keys that fail after the limiter (no object): the flood is counted without filling the queue. The
    // limiter counts in fixed 60 s windows, so a flood that straddles one boundary passes at most twice
    // the limit: one more request than that must be refused.
    const statuses: number[] = [];
    let limited: Reply | undefined;
    for (let seq = 0; seq <= 2 * NOTICES_PER_MINUTE && !limited; seq++) {
      const reply = await call('POST', '/session/chunks', {
        headers: bearer(token),
        json: { key: chunkKey(tenant.uuid, flooded.sessionId, seq) },
      });
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
    }
    if (!limited) throw new Error(`no notice was limited: ${statuses.length} answered`);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(errorOf(limited).code).toBe('TOO_MANY_REQUESTS');
    // A recorder's honest pace passes: the first minute's limit is not cut short.
    expect(statuses.filter((status) => status === 404).length).toBeGreaterThanOrEqual(NOTICES_PER_MINUTE);

    const other = await newSession(tenant);
    const key = chunkKey(tenant.uuid, other.sessionId, 0);
    await putObject(key);
    const accepted = await call('POST', '/session/chunks', {
      headers: bearer(await candidateToken(tenant, other.sessionId)),
      json: { key },
    });
    expect(accepted.status).toBe(202);
  });
});

describe('the local S3 front browsers upload through', () => {
  const bucketUrl = () => `${stack.s3.uploadEndpoint}/${stack.s3.bucket}`;

  it('forwards nothing but a form upload: no listing, read, write or queue call, and no CORS for them', async () => {
    const origin = { Origin: 'https://any-page.example' };
    const attempts: Array<[string, RequestInit]> = [
      [`${bucketUrl()}?list-type=2`, { headers: origin }],
      [`${bucketUrl()}/proctor/ies/x`, { headers: origin }],
      [`${bucketUrl()}/proctor/ies/x`, { method: 'PUT', body: 'x', headers: origin }],
      [
        `${bucketUrl()}?delete`,
        { method: 'POST', body: '<Delete/>', headers: { ...origin, 'Content-Type': 'application/xml' } },
      ],
      [
        `${stack.s3.uploadEndpoint}/`,
        {
          method: 'POST',
          body: '{}',
          headers: {
            ...origin,
            'X-Amz-Target': 'AmazonSQS.ListQueues',
            'Content-Type': 'application/x-amz-json-1.0',
          },
        },
      ],
    ];
    for (const [url, init] of attempts) {
      const reply = await fetch(url, init);
      await reply.body?.cancel();
      expect(reply.status, `${init.method ?? 'GET'} ${url}`).toBe(403);
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    }
    const preflight = await fetch(bucketUrl(), {
      method: 'OPTIONS',
      headers: { ...origin, 'Access-Control-Request-Method': 'GET' },
    });
    await preflight.body?.cancel();
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
