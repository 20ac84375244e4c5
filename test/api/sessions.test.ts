/** The session lifecycle as the tenant's server and the candidate's browser drive it, end to end on the stack. */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createConnection } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ChunkJob, chunkOfJob, Job } from '../../contracts/jobs.ts';
import { formatChunkName, rawPrefix, sessionPrefix } from '../../contracts/storage.ts';
import {
  call,
  candidateToken,
  drainQueue,
  newSession,
  newTenant,
  putObject,
  reportStatus,
  s3,
  stack,
  type TestTenant,
} from './support.ts';

/** The jobs the Worker enqueued since the last call, parsed with the transcoder's schema. */
const drainJobs = () => drainQueue(stack.sqs.jobsQueueUrl, (body) => Job.parse(body));

async function sessionRows(tenantUuid: string, uniqueIdentifier: string) {
  const db = await createConnection(stack.mysql.rootUrl);
  try {
    const [rows] = await db.query('SELECT * FROM sessions WHERE tenant_uuid = ? AND unique_identifier = ?', [
      tenantUuid,
      uniqueIdentifier,
    ]);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await db.end();
  }
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await newTenant();
  await drainJobs();
});

describe('POST /session', () => {
  it('creates once (201) and returns the same session after (200), metadata enriched at the edge', async () => {
    const body = {
      unique_identifier: 'attempt-1',
      session_metadata: { product_type: 'test', product_id: 7 },
    };
    const first = await tenant.as('POST', '/session', body);
    const second = await tenant.as('POST', '/session', { ...body, session_metadata: {} });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const [row] = await sessionRows(tenant.uuid, 'attempt-1');
    const metadata =
      typeof row?.session_metadata === 'string' ? JSON.parse(row.session_metadata) : row?.session_metadata;
    expect(metadata).toMatchObject({
      product_type: 'test',
      product_id: 7,
      ies_edge: { user_agent: expect.any(String) },
    });
    expect(metadata.ies_edge.location).toHaveProperty('country');
  });

  it('50 concurrent creates with one unique_identifier → one row and one session_id', async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        tenant.as('POST', '/session', { unique_identifier: 'attempt-race', session_metadata: {} }),
      ),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(49);
    expect(new Set(replies.map((reply) => (reply.body as { session_id: string }).session_id)).size).toBe(1);
    expect(await sessionRows(tenant.uuid, 'attempt-race')).toHaveLength(1);
  });
});

describe('GET /session', () => {
  it('finds a session by session_id and by unique_identifier, without playback before processing', async () => {
    const { sessionId, uniqueIdentifier } = await newSession(tenant);
    // The seed's fields, and ours that say nothing yet; other fields may be added beside them.
    const expected = {
      success: true,
      session_id: sessionId,
      status: 'created',
      playback: null,
      failure: null,
      deletion: null,
    };
    const bySessionId = await tenant.as('GET', `/session?session_id=${sessionId}`);
    expect(bySessionId.body).toMatchObject(expected);
    const byIdentifier = await tenant.as(
      'GET',
      `/session?unique_identifier=${encodeURIComponent(uniqueIdentifier)}`,
    );
    expect(byIdentifier.body).toEqual(bySessionId.body);
  });
});

describe('presigned policy and browser upload', () => {
  it('returns the seed shape with a narrow, short-lived policy for each asset', async () => {
    const { sessionId } = await newSession(tenant);
    for (const [asset, contentType] of [
      ['screenshare', 'video/webm'],
      ['webcam', 'video/webm'],
      ['screenshots', 'image/jpeg'],
    ] as const) {
      const before = Math.floor(Date.now() / 1000) * 1000;
      const reply = await tenant.as(
        'GET',
        `/session/presigned-policy?session_id=${sessionId}&asset=${asset}`,
      );
      expect(reply.status).toBe(200);
      const { postFields, url } = reply.body as { postFields: Record<string, string>; url: string };
      expect(Object.keys(postFields).sort()).toEqual(
        [
          'Content-Type',
          'acl',
          'key',
          'policy',
          'x-amz-algorithm',
          'x-amz-credential',
          'x-amz-date',
          'x-amz-signature',
        ].sort(),
      );
      const prefix = rawPrefix(tenant.uuid, sessionId, asset);
      expect(postFields.key).toBe(`${prefix}\${filename}`);
      expect(postFields['Content-Type']).toBe(contentType);
      expect(url).toBe(`${stack.s3.uploadEndpoint}/${stack.s3.bucket}`);
      const policy = JSON.parse(Buffer.from(postFields.policy ?? '', 'base64').toString());
      // The configured lifetime (UPLOAD_POLICY_TTL_SECONDS = 600), at most 15 minutes.
      const expiresIn = Date.parse(policy.expiration) - before;
      expect(expiresIn).toBeGreaterThanOrEqual(600_000);
      expect(expiresIn).toBeLessThanOrEqual(602_000);
      expect(policy.conditions).toEqual([
        { bucket: stack.s3.bucket },
        ['starts-with', '$key', prefix],
        { acl: 'private' },
        ['eq', '$Content-Type', contentType],
        ['content-length-range', 1, 104857600],
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
        { 'X-Amz-Credential': postFields['x-amz-credential'] },
        { 'X-Amz-Date': postFields['x-amz-date'] },
      ]);
      expect(postFields['x-amz-credential']).toMatch(
        new RegExp(`^${stack.s3.accessKeyId}/\\d{8}/${stack.s3.region}/s3/aws4_request$`),
      );
      expect(reply.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('fixes the container the recorder asks for, from each asset’s allow-list', async () => {
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    for (const [asset, contentType] of [
      ['screenshare', 'video/mp4'],
      ['webcam', 'video/webm'],
      ['screenshots', 'image/webp'],
      ['screenshots', 'image/jpeg'],
    ] as const) {
      const reply = await call(
        'GET',
        `/session/presigned-policy?asset=${asset}&content_type=${encodeURIComponent(contentType)}`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      expect(reply.status).toBe(200);
      const { postFields } = reply.body as { postFields: Record<string, string> };
      expect(postFields['Content-Type']).toBe(contentType);
      const policy = JSON.parse(Buffer.from(postFields.policy ?? '', 'base64').toString());
      expect(policy.conditions).toContainEqual(['eq', '$Content-Type', contentType]);
    }
  });

  it('a chunk notice takes each extension the asset allows', async () => {
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const startMs = Date.now() - 10_000;
    for (const [seq, asset, ext] of [
      [0, 'screenshare', 'mp4'],
      [0, 'webcam', 'webm'],
      [0, 'screenshots', 'webp'],
      [1, 'screenshots', 'jpg'],
    ] as const) {
      const durationMs = asset === 'screenshots' ? 0 : 5000;
      const key = `${rawPrefix(tenant.uuid, sessionId, asset)}${formatChunkName({ seq, startMs, durationMs, ext })}`;
      await putObject(key);
      const reply = await call('POST', '/session/chunks', {
        headers: { Authorization: `Bearer ${token}` },
        json: { key },
      });
      expect(reply.status, `${asset} ${ext}`).toBe(202);
    }
    const jobs = (await drainJobs()).filter((job) => job.session_uuid === sessionId);
    const described = jobs.map((job) => {
      const chunk = job.type === 'chunk' ? chunkOfJob(job) : null;
      return chunk ? `${chunk.asset}.${chunk.ext}` : job.type;
    });
    expect(described.sort()).toEqual([
      'screenshare.mp4',
      'screenshots.jpg',
      'screenshots.webp',
      'webcam.webm',
    ]);
  });

  it('a browser-style multipart POST with the fields stores the chunk under the seed layout', async () => {
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const reply = await call('GET', '/session/presigned-policy?asset=screenshare', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(reply.status).toBe(200);
    const { postFields, url } = reply.body as { postFields: Record<string, string>; url: string };
    const name = formatChunkName({ seq: 0, startMs: 1764158400123, durationMs: 5012, ext: 'webm' });
    const form = new FormData();
    for (const [field, value] of Object.entries(postFields)) form.append(field, value);
    const bytes = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3]);
    form.append('file', new Blob([bytes], { type: 'video/webm' }), name);
    const upload = await fetch(url, {
      method: 'POST',
      body: form,
      headers: { Origin: 'https://candidate.example' },
    });
    expect(upload.status).toBeLessThan(300);
    expect(upload.headers.get('access-control-allow-origin')).toBe('https://candidate.example');

    const key = `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${name}`;
    expect(key).toBe(
      `proctor/ies/${tenant.uuid}/${sessionId}/screenshare/raw/000000-1764158400123-5012.webm`,
    );
    const stored = await s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: key }));
    expect(new Uint8Array((await stored.Body?.transformToByteArray()) ?? [])).toEqual(bytes);
  });
});

describe('chunks and processing', () => {
  it('a chunk notice enqueues a chunk job the transcoder parses, and the session is recording', async () => {
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const startMs = Date.now() - 20_000;
    const key = `${rawPrefix(tenant.uuid, sessionId, 'webcam')}${formatChunkName({ seq: 3, startMs, durationMs: 5001, ext: 'webm' })}`;
    await putObject(key);
    const reply = await call('POST', '/session/chunks', {
      headers: { Authorization: `Bearer ${token}` },
      json: { key },
    });
    expect(reply.status).toBe(202);
    const jobs = await drainJobs();
    // The key alone says which chunk: the job repeats none of what it encodes.
    expect(jobs).toEqual([
      {
        version: 1,
        type: 'chunk',
        tenant_uuid: tenant.uuid,
        session_uuid: sessionId,
        requested_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        session_started_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        key,
      },
    ]);
    expect(chunkOfJob(jobs[0] as ChunkJob)).toMatchObject({
      asset: 'webcam',
      seq: 3,
      startMs,
      durationMs: 5001,
    });
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).body).toMatchObject({
      status: 'recording',
    });
  });

  it('process enqueues one finalize; a second call while queued adds none', async () => {
    const { sessionId } = await newSession(tenant);
    const first = await tenant.as('POST', '/session/process', { session_id: sessionId });
    expect(first.status).toBe(200);
    expect(first.text).toBe('');
    expect(first.headers.get('x-ies-finalize')).toBe('enqueued');
    const second = await tenant.as('POST', '/session/process', { session_id: sessionId });
    expect(second.status).toBe(200);
    expect(second.text).toBe('');
    expect(second.headers.get('x-ies-finalize')).toBe('already-queued');
    const jobs = await drainJobs();
    expect(jobs).toEqual([
      expect.objectContaining({
        session_started_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        type: 'finalize',
        session_uuid: sessionId,
        tenant_uuid: tenant.uuid,
        reprocess: false,
      }),
    ]);
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).body).toMatchObject({
      status: 'processing',
    });
  });

  it('concurrent process calls enqueue exactly one finalize', async () => {
    const { sessionId } = await newSession(tenant);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => tenant.as('POST', '/session/process', { session_id: sessionId })),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const finalize = replies.map((reply) => reply.headers.get('x-ies-finalize'));
    expect(finalize.filter((said) => said === 'enqueued')).toHaveLength(1);
    expect(finalize.filter((said) => said === 'already-queued')).toHaveLength(9);
    expect((await drainJobs()).filter((job) => job.session_uuid === sessionId)).toHaveLength(1);
  });

  it('a ready session gets a playback URL the player can fetch, and is reprocessed only when asked', async () => {
    const { sessionId } = await newSession(tenant);
    await tenant.as('POST', '/session/process', { session_id: sessionId });
    await drainJobs();
    const masterKey = `${sessionPrefix(tenant.uuid, sessionId)}screenshare/processed/hls_playlist/master.m3u8`;
    const playlist = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nindex_360p.m3u8\n';
    await s3.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: masterKey, Body: playlist }));
    const report = await reportStatus({
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      status: 'ready',
      playback: { type: 'hls_masterplaylist', key: masterKey },
      duration_ms: 60_000,
    });
    expect(report.status).toBe(204);

    const session = (await tenant.as('GET', `/session?session_id=${sessionId}`)).body as {
      status: string;
      playback: { url: string; type: string };
    };
    expect(session.status).toBe('ready');
    expect(session.playback.type).toBe('hls_masterplaylist');
    expect(session.playback.url).toMatch(
      /\/ies\/api\/v2\/playback\/pt1\.[^/]+\/screenshare\/processed\/hls_playlist\/master\.m3u8$/,
    );
    const served = await fetch(session.playback.url);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(playlist);
    expect(served.headers.get('access-control-allow-origin')).toBe('*');
    const partial = await fetch(session.playback.url, { headers: { Range: 'bytes=7-12' } });
    expect(partial.status).toBe(206);
    expect(await partial.text()).toBe(playlist.slice(7, 13));
    const beyond = await fetch(session.playback.url, {
      headers: { Range: `bytes=${playlist.length + 10}-` },
    });
    expect(beyond.status).toBe(416);
    const outside = await fetch(
      session.playback.url.replace(
        'screenshare/processed/hls_playlist/master.m3u8',
        'screenshare/raw/x.webm',
      ),
    );
    expect(outside.status).toBe(404);
    const forged = await fetch(session.playback.url.replace('/pt1.', '/pt1.x'));
    expect(forged.status).toBe(401);

    const again = await tenant.as('POST', '/session/process', { session_id: sessionId });
    expect([again.status, again.headers.get('x-ies-finalize')]).toEqual([200, 'ready']);
    expect(await drainJobs()).toEqual([]);
    const rebuild = await tenant.as('POST', '/session/process', { session_id: sessionId, reprocess: true });
    expect([rebuild.status, rebuild.headers.get('x-ies-finalize')]).toEqual([200, 'enqueued']);
    expect(await drainJobs()).toEqual([expect.objectContaining({ type: 'finalize', reprocess: true })]);
  });
});

describe('clock sync', () => {
  it('keeps the offset samples per session and reports them', async () => {
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    // The browser's clock runs 5 s behind the server's.
    const skew = -5000;
    let previous: { t0: number; server_ms: number; t3: number; receipt: string } | undefined;
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now() + skew;
      const reply = await call('POST', '/session/clock', {
        headers: { Authorization: `Bearer ${token}` },
        json: previous ? { t0, previous } : { t0 },
      });
      expect(reply.status).toBe(200);
      const { server_ms, receipt } = reply.body as { server_ms: number; receipt: string };
      previous = { t0, server_ms, t3: Date.now() + skew, receipt };
    }
    await expect
      .poll(async () => (await tenant.as('GET', `/session/clock?session_id=${sessionId}`)).body, {
        timeout: 5000,
      })
      .toMatchObject({ samples: 3, clock_jumps: [] });
    const report = (await tenant.as('GET', `/session/clock?session_id=${sessionId}`)).body as {
      offset_ms: number;
    };
    expect(Math.abs(report.offset_ms - 5000)).toBeLessThan(200);
  });
});

describe('identifiers', () => {
  it('compares unique_identifier exactly: case and accents make different sessions', async () => {
    const ids = ['Case-X', 'case-x', 'résumé-1', 'resume-1'];
    const created = await Promise.all(
      ids.map((id) => tenant.as('POST', '/session', { unique_identifier: id, session_metadata: {} })),
    );
    expect(created.map((reply) => reply.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(created.map((reply) => (reply.body as { session_id: string }).session_id)).size).toBe(4);
  });

  it('finds a session by its id in upper case too', async () => {
    const { sessionId } = await newSession(tenant);
    const reply = await tenant.as('GET', `/session?session_id=${sessionId.toUpperCase()}`);
    expect(reply.body).toMatchObject({ session_id: sessionId });
  });
});
