/**
 * The Worker when what it depends on is down or stalled, on a whole local stack (`npm start`'s program):
 * every answer comes within seconds, as 503 with Retry-After in the error envelope where the dependency is
 * needed, never a 500 and never a hang; health says which dependency is down; and service comes back by
 * itself when the dependency does.
 *
 * A stall is SIGSTOP: connections are still accepted by the kernel but never answered, the failure that
 * no connection error reveals. MariaDB runs as its own process; fauxqs (S3 and SQS) and the
 * PlanetScale-protocol bridge run inside the stack's own process, so stopping that stalls all three.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionPrefix } from '../../contracts/storage.ts';
import { type LocalStack, startLocalStack } from '../support/local-stack.ts';

/** Within this every answer must come, however the dependency fails (each limit is 8 s). */
const ANSWER_WITHIN_MS = 20_000;

let stack: LocalStack;
let mariadbd: number;
let session: { id: string; token: string; playbackUrl: string };

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { error?: { code: string; requestId: string } } & Record<string, unknown>;
  elapsedMs: number;
}

async function ask(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Answer> {
  const started = Date.now();
  const url = path.startsWith('http') ? path : `${stack.info.apiBase}${path}`;
  const response = await fetch(url, {
    ...init,
    headers: {
      'X-API-TOKEN': stack.info.tenant.apiKey,
      ...(init.json === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...init.headers,
    },
    body: init.json === undefined ? init.body : JSON.stringify(init.json),
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 2),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: text.startsWith('{') ? JSON.parse(text) : {},
    elapsedMs: Date.now() - started,
  };
}

/** What a client gets from a dependency that is down: a retryable 503 in the envelope, soon. */
function expectUnavailable(answer: Answer, what: string) {
  expect(answer.status, `${what}: ${JSON.stringify(answer)}`).toBe(503);
  expect(answer.body.error?.code, `${what}: ${JSON.stringify(answer)}`).toBe('SERVICE_UNAVAILABLE');
  expect(answer.retryAfter, what).toMatch(/^\d+$/);
  expect(answer.elapsedMs, what).toBeLessThan(ANSWER_WITHIN_MS);
}

/** The calls a tenant and a candidate make, each needing the database, storage or the queue. */
const calls = () => ({
  'GET /session': () => ask(`/session?session_id=${session.id}`),
  'POST /session': () =>
    ask('/session', {
      method: 'POST',
      json: { unique_identifier: `outage-${Date.now()}`, session_metadata: {} },
    }),
  'POST /session/candidate-token': () =>
    ask('/session/candidate-token', { method: 'POST', json: { session_id: session.id } }),
  'POST /session/process': () =>
    ask('/session/process', { method: 'POST', json: { session_id: session.id } }),
  playback: () => ask(session.playbackUrl, { headers: { 'X-API-TOKEN': '' } }),
});

async function recovered() {
  await expect.poll(async () => (await ask('/health')).status, { timeout: 30_000, interval: 500 }).toBe(200);
  expect((await ask(`/session?session_id=${session.id}`)).status).toBe(200);
}

beforeAll(async () => {
  stack = await startLocalStack();
  const found = stack.processes.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'mariadbd';
    } catch {
      return false;
    }
  });
  if (!found) throw new Error(`no mariadbd among ${readdirSync('/proc').length} processes`);
  mariadbd = found;
  const created = await ask('/session', {
    method: 'POST',
    json: { unique_identifier: 'outage-subject', session_metadata: {} },
  });
  const id = String(created.body.session_id);
  const token = String(
    (await ask('/session/candidate-token', { method: 'POST', json: { session_id: id } })).body.token,
  );
  // Ready, as the transcoder would report it, so a playback URL exists.
  const key = `${sessionPrefix(stack.info.tenant.uuid, id)}screenshare/processed/hls_playlist/master.m3u8`;
  const reported = await ask('/internal/session-status', {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.info.internalToken}` },
    json: {
      version: 1,
      tenant_uuid: stack.info.tenant.uuid,
      session_uuid: id,
      status: 'ready',
      playback: { type: 'hls_masterplaylist', key },
    },
  });
  expect(reported.status).toBe(204);
  const read = await ask(`/session?session_id=${id}`);
  session = { id, token, playbackUrl: (read.body.playback as { url: string }).url };
}, 120_000);

afterAll(async () => {
  for (const pid of [mariadbd, stack?.child.pid]) {
    try {
      if (pid) process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  await stack?.dispose();
});

describe('a dependency down', () => {
  it('the database stalled: 503 with Retry-After within seconds, health names it, and service returns', async () => {
    process.kill(mariadbd, 'SIGSTOP');
    try {
      const health = await ask('/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        status: 'degraded',
        database: 'unreachable',
        storage: 'ok',
        queue: 'ok',
      });
      const { playback, ...needDatabase } = calls();
      const answers = await Promise.all(Object.values(needDatabase).map((call) => call()));
      for (const [i, what] of Object.keys(needDatabase).entries())
        expectUnavailable(answers[i] as Answer, what);
    } finally {
      process.kill(mariadbd, 'SIGCONT');
    }
    await recovered();
  });

  it('storage, the queue and the database bridge stalled together: 503 everywhere, never a hang', async () => {
    const pid = stack.child.pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    try {
      const [health, ...answers] = await Promise.all([
        ask('/health'),
        ...Object.values(calls()).map((call) => call()),
      ]);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        database: 'unreachable',
        storage: 'unreachable',
        queue: 'unreachable',
      });
      expect(health.elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);
      for (const [i, what] of Object.keys(calls()).entries()) expectUnavailable(answers[i] as Answer, what);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await recovered();
  });

  it('the database gone (its process killed): 503, not 500', async () => {
    process.kill(mariadbd, 'SIGKILL');
    const { playback, ...needDatabase } = calls();
    const answers = await Promise.all(Object.values(needDatabase).map((call) => call()));
    for (const [i, what] of Object.keys(needDatabase).entries())
      expectUnavailable(answers[i] as Answer, what);
    const health = await ask('/health');
    expect(health.body).toMatchObject({ database: 'unreachable', storage: 'ok', queue: 'ok' });
  });
});
