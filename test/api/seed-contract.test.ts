/**
 * The product design's calls exactly as it writes them: `GET /session` with its lookup in a JSON body, the
 * upload policy asked for by `session_id` alone, lookups by `(product_type, product_id)`, and
 * `POST /session/process` answered 200 with an empty body.
 */

import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../contracts/jobs.ts';
import { rawPrefix } from '../../contracts/storage.ts';
import { drainQueue, errorOf, newSession, newTenant, type Reply, stack, type TestTenant } from './support.ts';

/** A GET with a JSON body, as a server-side client can send it (`fetch` refuses a body on GET). */
function getWithBody(tenant: TestTenant, path: string, json: unknown): Promise<Reply> {
  const body = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.apiBase}${path}`,
      {
        method: 'GET',
        headers: {
          'X-API-TOKEN': tenant.apiKey,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (piece: string) => {
          text += piece;
        });
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) headers.set(name, String(value));
          resolve({ status: res.statusCode ?? 0, headers, body: text ? JSON.parse(text) : null, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await newTenant();
});

describe('GET /session with the lookup in a JSON body', () => {
  it('finds the session named in the body, as the product design sends it', async () => {
    const { sessionId } = await newSession(tenant);
    const reply = await getWithBody(tenant, '/session', { session_id: sessionId });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ success: true, session_id: sessionId, status: 'created' });
    // The design's payload also shows `success`, which names nothing.
    const withSuccess = await getWithBody(tenant, '/session', { success: true, session_id: sessionId });
    expect(withSuccess.body).toMatchObject({ session_id: sessionId });
  });

  it('accepts the query and the body together when they agree, and refuses them when not', async () => {
    const { sessionId, uniqueIdentifier } = await newSession(tenant);
    const other = await newSession(tenant);
    const agree = await getWithBody(tenant, `/session?session_id=${sessionId}`, { session_id: sessionId });
    expect(agree.status).toBe(200);
    const disagree = await getWithBody(tenant, `/session?session_id=${sessionId}`, {
      session_id: other.sessionId,
    });
    expect(disagree.status).toBe(400);
    expect(errorOf(disagree).message).toMatch(/session_id differs/);
    const twoLookups = await getWithBody(tenant, `/session?session_id=${sessionId}`, {
      unique_identifier: uniqueIdentifier,
    });
    expect(twoLookups.status).toBe(400);
    for (const bad of ['[1]', 'null']) {
      const reply = await getWithBody(tenant, '/session', JSON.parse(bad));
      expect(reply.status).toBe(400);
    }
    expect((await getWithBody(tenant, '/session', { session_id: sessionId, extra: 1 })).status).toBe(400);
  });
});

describe('(product_type, product_id)', () => {
  it('comes from session_metadata and finds the session in GET /session and the upload policy', async () => {
    const productId = Math.floor(Math.random() * 1e9);
    const { sessionId } = await newSessionWithProduct('test', productId);
    const byQuery = await tenant.as('GET', `/session?product_type=test&product_id=${productId}`);
    expect(byQuery.body).toMatchObject({ session_id: sessionId });
    const byBody = await getWithBody(tenant, '/session', { product_type: 'test', product_id: productId });
    expect(byBody.body).toMatchObject({ session_id: sessionId });
    const policy = await tenant.as(
      'GET',
      `/session/presigned-policy?product_type=test&product_id=${productId}`,
    );
    expect(policy.status).toBe(200);
    expect((policy.body as { postFields: { key: string } }).postFields.key).toBe(
      `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}\${filename}`,
    );
    const halfPair = await tenant.as('GET', `/session?product_type=test`);
    expect(halfPair.status).toBe(400);
    const unknown = await tenant.as('GET', `/session?product_type=test&product_id=${productId + 1}`);
    expect(unknown.status).toBe(404);
  });

  it('names one session per tenant: another unique_identifier with the same pair is a conflict', async () => {
    const productId = `p-${randomUUID()}`;
    const first = await newSessionWithProduct('code', productId);
    const again = await tenant.as('POST', '/session', {
      unique_identifier: first.uniqueIdentifier,
      session_metadata: { product_type: 'code', product_id: productId },
    });
    expect([again.status, again.body]).toEqual([200, { session_id: first.sessionId }]);
    const clash = await tenant.as('POST', '/session', {
      unique_identifier: `attempt-${randomUUID()}`,
      session_metadata: { product_type: 'code', product_id: productId },
    });
    expect(clash.status).toBe(409);
    // Another tenant's pair is its own.
    const other = await newTenant();
    const theirs = await other.as('POST', '/session', {
      unique_identifier: first.uniqueIdentifier,
      session_metadata: { product_type: 'code', product_id: productId },
    });
    expect(theirs.status).toBe(201);
  });

  it('refuses product fields that cannot name a session', async () => {
    for (const metadata of [
      { product_type: 12 },
      { product_id: { id: 1 } },
      { product_id: -1 },
      { product_type: '' },
    ]) {
      const reply = await tenant.as('POST', '/session', {
        unique_identifier: `attempt-${randomUUID()}`,
        session_metadata: metadata,
      });
      expect(reply.status, JSON.stringify(metadata)).toBe(400);
    }
  });
});

describe('GET /session/presigned-policy as the product design calls it', () => {
  it('answers for the screenshare asset when only session_id is given', async () => {
    const { sessionId } = await newSession(tenant);
    const reply = await tenant.as('GET', `/session/presigned-policy?session_id=${sessionId}`);
    expect(reply.status).toBe(200);
    const { postFields } = reply.body as { postFields: Record<string, string> };
    expect(postFields.key).toBe(`${rawPrefix(tenant.uuid, sessionId, 'screenshare')}\${filename}`);
    expect(postFields['Content-Type']).toBe('video/webm');
    const inBody = await getWithBody(tenant, '/session/presigned-policy', { session_id: sessionId });
    expect(inBody.status).toBe(200);
    const webcam = await getWithBody(tenant, '/session/presigned-policy?asset=webcam', {
      session_id: sessionId,
    });
    expect((webcam.body as { postFields: Record<string, string> }).postFields.key).toContain('/webcam/raw/');
  });
});

describe('POST /session/process', () => {
  it('answers 200 with an empty body, and says in X-IES-Finalize what it did', async () => {
    const { sessionId } = await newSession(tenant);
    const first = await tenant.as('POST', '/session/process', { session_id: sessionId });
    const second = await tenant.as('POST', '/session/process', { session_id: sessionId });
    expect([first.status, first.text, first.headers.get('x-ies-finalize')]).toEqual([200, '', 'enqueued']);
    expect([second.status, second.text, second.headers.get('x-ies-finalize')]).toEqual([
      200,
      '',
      'already-queued',
    ]);
    const jobs = await drainQueue(stack.sqs.jobsQueueUrl, (body) => Job.parse(body));
    expect(jobs.filter((job) => job.session_uuid === sessionId)).toHaveLength(1);
  });
});

async function newSessionWithProduct(productType: string, productId: string | number) {
  const uniqueIdentifier = `attempt-${randomUUID()}`;
  const reply = await tenant.as('POST', '/session', {
    unique_identifier: uniqueIdentifier,
    session_metadata: { product_type: productType, product_id: productId },
  });
  expect(reply.status).toBe(201);
  return { sessionId: (reply.body as { session_id: string }).session_id, uniqueIdentifier };
}
