/** Calls into the running test stack: requests with the right credentials, and fresh tenants per test. */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createConnection } from 'mysql2/promise';
import { inject } from 'vitest';
import { sessionPrefix } from '../../contracts/storage.ts';

export const stack = inject('stack');

const credentials = { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey };
/** The stack's SQS, as the transcoder reaches it. */
export const sqs = new SQSClient({ region: stack.s3.region, endpoint: stack.sqs.endpoint, credentials });

/** The stack's S3, as the transcoder and an operator reach it (not through the browsers' CORS front). */
export const s3 = new S3Client({
  region: stack.s3.region,
  endpoint: stack.s3.endpoint,
  credentials,
  forcePathStyle: true,
});

/** Stores an object as a browser upload would have: a chunk notice is accepted only for one that exists. */
export async function putObject(key: string, body: Uint8Array | string = 'chunk') {
  await s3.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: key, Body: body }));
}

/** Takes every message now on a queue (deleting them), each parsed by `parse` (a contract schema's). */
export async function drainQueue<T>(queueUrl: string, parse: (body: unknown) => T): Promise<T[]> {
  const taken: T[] = [];
  while (true) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) return taken;
    for (const message of Messages) {
      taken.push(parse(JSON.parse(message.Body ?? '')));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A request to the API (path under /ies/api/v2); JSON bodies are encoded, JSON replies decoded. */
export async function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; json?: unknown; body?: BodyInit } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${stack.apiBase}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const admin = (method: string, path: string, json?: unknown) =>
  call(method, `/admin${path}`, { headers: { Authorization: `Bearer ${stack.adminToken}` }, json });

export interface TestTenant {
  uuid: string;
  apiKey: string;
  apiKeyId: string;
  as: (method: string, path: string, json?: unknown) => Promise<Reply>;
}

/** Registers a tenant with a unique slug; options go to its first key. */
export async function newTenant(keyOptions: Record<string, unknown> = {}): Promise<TestTenant> {
  const reply = await admin('POST', '/tenants', {
    slug: `t-${randomUUID().slice(0, 8)}`,
    name: 'Test tenant',
    api_key: keyOptions,
  });
  if (reply.status !== 201) throw new Error(`tenant not created: ${reply.text}`);
  const body = reply.body as { tenant_uuid: string; api_key: { api_key: string; api_key_id: string } };
  return withKey(body.tenant_uuid, body.api_key.api_key, body.api_key.api_key_id);
}

export function withKey(uuid: string, apiKey: string, apiKeyId: string): TestTenant {
  return {
    uuid,
    apiKey,
    apiKeyId,
    as: (method, path, json) => call(method, path, { headers: { 'X-API-TOKEN': apiKey }, json }),
  };
}

/** The error envelope every failure must carry. */
export function errorOf(reply: Reply): { code: string; message: string; requestId: string } {
  const envelope = reply.body as { error?: { code: string; message: string; requestId: string } };
  if (!envelope?.error) throw new Error(`no error envelope in ${reply.status}: ${reply.text}`);
  return envelope.error;
}

/** Creates a session and returns its id. */
export async function newSession(tenant: TestTenant, uniqueIdentifier = `attempt-${randomUUID()}`) {
  const reply = await tenant.as('POST', '/session', {
    unique_identifier: uniqueIdentifier,
    session_metadata: {},
  });
  if (reply.status !== 201) throw new Error(`session not created: ${reply.text}`);
  return { sessionId: (reply.body as { session_id: string }).session_id, uniqueIdentifier };
}

export async function candidateToken(tenant: TestTenant, sessionId: string): Promise<string> {
  const reply = await tenant.as('POST', '/session/candidate-token', { session_id: sessionId });
  if (reply.status !== 201) throw new Error(`no candidate token: ${reply.text}`);
  return (reply.body as { token: string }).token;
}

/** Sends a status report as the transcoder does, with the internal token. */
export const reportStatus = (report: Record<string, unknown>) =>
  call('POST', '/internal/session-status', {
    headers: { Authorization: `Bearer ${stack.internalToken}` },
    json: { version: 1, ...report },
  });

/** The key of a session's HLS master playlist, where the transcoder writes it. */
export const masterKey = (tenantUuid: string, sessionId: string) =>
  `${sessionPrefix(tenantUuid, sessionId)}screenshare/processed/hls_playlist/master.m3u8`;

/** Reports the session ready with its HLS master playlist, as the transcoder does after a finalize. */
export const reportReady = (tenantUuid: string, sessionId: string) =>
  reportStatus({
    tenant_uuid: tenantUuid,
    session_uuid: sessionId,
    status: 'ready',
    playback: { type: 'hls_masterplaylist', key: masterKey(tenantUuid, sessionId) },
  });

/** Writes to the database behind the API directly, as a bug or an operator could have. */
export async function sql(query: string, args: unknown[]) {
  const db = await createConnection(stack.mysql.rootUrl);
  try {
    await db.query(query, args);
  } finally {
    await db.end();
  }
}
