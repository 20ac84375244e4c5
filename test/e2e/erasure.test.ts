/**
 * Erasure with the transcoder running: after DELETE /session nothing of the session is left under its
 * prefix, the row is a tombstone, every endpoint but GET /session and the deletion report answers 410, and
 * the report counts what was stored; chunk jobs still queued or running when the deletion ran write nothing
 * that stays.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { formatChunkName, rawPrefix, sessionPrefix } from '../../contracts/storage.ts';
import {
  call,
  candidateToken,
  newSession,
  newTenant,
  putObject,
  s3,
  stack,
  type TestTenant,
} from '../api/support.ts';
import { makeChunk } from '../support/chunks.ts';
import { chunkJob } from '../support/jobs.ts';

const sqs = new SQSClient({
  region: stack.s3.region,
  endpoint: stack.sqs.endpoint,
  credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
});

async function listing(prefix: string) {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => ({ key: object.Key ?? '', size: object.Size ?? 0 }));
}

/** Resolves once the jobs queue has no message waiting or in flight. */
async function queueIdle() {
  await expect
    .poll(
      async () => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: stack.sqs.jobsQueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return (
          Number(Attributes.ApproximateNumberOfMessages) +
          Number(Attributes.ApproximateNumberOfMessagesNotVisible)
        );
      },
      { timeout: 120_000, interval: 500 },
    )
    .toBe(0);
}

async function deleteAndWait(tenant: TestTenant, sessionId: string) {
  expect((await tenant.as('DELETE', '/session', { session_id: sessionId })).status).toBe(202);
  await expect
    .poll(async () => (await tenant.as('GET', `/session?session_id=${sessionId}`)).body, {
      timeout: 60_000,
      interval: 250,
    })
    .toMatchObject({ status: 'deleted', deletion: { completed_at: expect.any(String) } });
}

const deleter = () =>
  newTenant({
    scopes: ['session:create', 'session:read', 'session:upload', 'session:process', 'session:delete'],
  });

describe('DELETE /session with the transcoder', () => {
  it('removes every object of the session and reports what it removed', async () => {
    const tenant = await deleter();
    const { sessionId, uniqueIdentifier } = await newSession(tenant);
    const prefix = sessionPrefix(tenant.uuid, sessionId);
    const stored = [
      [`${rawPrefix(tenant.uuid, sessionId, 'screenshare')}000000-${Date.now()}-5000.webm`, 'a'.repeat(1500)],
      [`${prefix}screenshare/processed/hls_playlist/master.m3u8`, '#EXTM3U\n'],
      [`${prefix}reports/screenshot_analysis/result.json`, '{}'],
    ] as const;
    for (const [key, body] of stored) await putObject(key, body);
    const before = await listing(prefix);
    expect(before).toHaveLength(3);

    await deleteAndWait(tenant, sessionId);
    expect(await listing(prefix)).toEqual([]);
    const report = await tenant.as('GET', `/session/deletion-report?unique_identifier=${uniqueIdentifier}`);
    expect(report.body).toMatchObject({
      status: 'deleted',
      deletions: [
        {
          scope: 'session',
          objects_removed: before.length,
          bytes_removed: before.reduce((sum, object) => sum + object.size, 0),
        },
      ],
    });
    const gone = await Promise.all([
      tenant.as('POST', '/session/process', { session_id: sessionId }),
      tenant.as('GET', `/session/presigned-policy?session_id=${sessionId}`),
      tenant.as('POST', '/session/candidate-token', { session_id: sessionId }),
      tenant.as('DELETE', `/session?session_id=${sessionId}`),
    ]);
    expect(gone.map((reply) => reply.status)).toEqual([410, 410, 410, 410]);
  });

  it('chunk jobs queued or running when the deletion ran leave nothing behind', async () => {
    const tenant = await deleter();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const dir = await mkdtemp(join(tmpdir(), 'ies-erasure-'));
    const file = await makeChunk(dir, { durationSec: 2 });
    const start = Date.now();
    const chunks = [0, 1, 2].map((seq) => ({
      seq,
      startMs: start + seq * 2000,
      durationMs: 2000,
      ext: 'webm' as const,
    }));
    for (const chunk of chunks) {
      const key = `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${formatChunkName(chunk)}`;
      await putObject(key, await readFile(file));
      const notice = await call('POST', '/session/chunks', {
        headers: { Authorization: `Bearer ${token}` },
        json: { key },
      });
      expect(notice.status).toBe(202);
    }
    // The deletion races the chunk jobs just enqueued.
    await deleteAndWait(tenant, sessionId);
    // Jobs enqueued before the deletion but delivered after it, as a backlog would.
    for (const chunk of chunks) {
      const job = {
        ...chunkJob(tenant.uuid, sessionId, 'screenshare', chunk),
        requested_at: new Date().toISOString(),
      };
      await sqs.send(
        new SendMessageCommand({ QueueUrl: stack.sqs.jobsQueueUrl, MessageBody: JSON.stringify(job) }),
      );
    }
    await queueIdle();
    expect(await listing(sessionPrefix(tenant.uuid, sessionId))).toEqual([]);
  });
});
