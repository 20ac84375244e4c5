/**
 * Clock sync inside workerd, as a candidate's browser drives it: exchanges over the WebSocket and over HTTP,
 * the last stamps of a burst, changes of the browser's wall clock, and gaps in the live chunk stream.
 */
import { request as httpRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_PROTOCOL } from '../../contracts/clock-offset.ts';
import { formatChunkName, rawPrefix } from '../../contracts/storage.ts';
import { ServiceApi } from '../../recorder/api.ts';
import { ServerClock } from '../../recorder/clock.ts';
import {
  admin,
  call,
  candidateToken,
  newSession,
  newTenant,
  putObject,
  stack,
  type TestTenant,
} from './support.ts';

const HOUR_MS = 3_600_000;

interface Previous {
  t0: number;
  server_ms: number;
  t3: number;
  receipt: string;
}
type Send = (message: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * An exchange's offset is off by at most half its round trip (the server stamped somewhere inside it),
 * whatever the machine's load made the round trip: the bound the estimate must keep, not a fixed one.
 * The few ms more are the test process's monotonic clock against the system clock workerd stamps with.
 */
function expectOffset(offsetMs: number, trueOffsetMs: number, rttMs: number) {
  expect(Math.abs(offsetMs - trueOffsetMs)).toBeLessThanOrEqual(rttMs / 2 + 5);
}

/** A browser whose clocks run `skewMs` from the server's; its wall clock can be set apart from them. */
function browser(skewMs: number) {
  let wallShiftMs = 0;
  let previous: Previous | undefined;
  const monotonic = () => performance.timeOrigin + performance.now() + skewMs;
  return {
    setWallClock: (shiftMs: number) => {
      wallShiftMs = shiftMs;
    },
    /** `count` exchanges in turn, each carrying the previous one's stamps, as the recorder's bursts do. */
    async burst(send: Send, count: number) {
      for (let i = 0; i < count; i++) {
        const t0 = monotonic();
        const wall_ms = Date.now() + skewMs + wallShiftMs;
        const reply = await send(previous ? { t0, wall_ms, previous } : { t0, wall_ms });
        previous = {
          t0,
          server_ms: reply.server_ms as number,
          t3: monotonic(),
          receipt: reply.receipt as string,
        };
      }
    },
    /** The burst's last stamps, sent alone. */
    final: (send: Send) => send({ previous }),
  };
}

function httpSend(token: string): Send {
  return async (message) => {
    const reply = await call('POST', '/session/clock', {
      headers: { Authorization: `Bearer ${token}` },
      json: message,
    });
    expect(reply.status).toBe(message.t0 === undefined ? 204 : 200);
    return (reply.body ?? {}) as Record<string, unknown>;
  };
}

const socketUrl = () => `${stack.apiBase.replace(/^http/, 'ws')}/session/clock/socket`;

/** A clock WebSocket: each message sent is answered by one message, awaited in turn. */
async function openSocket(token: string) {
  const ws = new WebSocket(socketUrl(), [CLOCK_PROTOCOL, token]);
  const closed = new Promise<number>((resolve) =>
    ws.addEventListener('close', (event) => resolve(event.code)),
  );
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error('the clock socket did not open')), { once: true });
  });
  return {
    protocol: ws.protocol,
    /** The close code the server sent. */
    closed,
    close: () => ws.close(1000),
    send: ((message) => {
      const answer = new Promise<Record<string, unknown>>((resolve) =>
        ws.addEventListener('message', (event) => resolve(JSON.parse(String(event.data))), { once: true }),
      );
      ws.send(JSON.stringify(message));
      return answer;
    }) satisfies Send,
  };
}

/** The status of a WebSocket upgrade the server refused (Node's WebSocket does not expose it). */
function refusedUpgrade(protocols: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(socketUrl().replace(/^ws/, 'http'), {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
        'Sec-WebSocket-Protocol': protocols.join(', '),
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    request.on('error', reject);
    request.end();
  });
}

interface Report {
  samples: number;
  offset_ms: number;
  rtt_ms: number;
  rtt: { min_ms: number; median_ms: number; p95_ms: number };
  offset_series: Array<{ at_ms: number; offset_ms: number; rtt_ms: number }>;
}

interface Event {
  type: string;
  source: string;
  severity: string;
  occurred_at_ms: number;
  details: Record<string, unknown>;
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await newTenant();
});

const report = async (sessionId: string) =>
  (await tenant.as('GET', `/session/clock?session_id=${sessionId}`)).body as Report;
const eventsOf = async (sessionId: string, type: string) =>
  (
    (await tenant.as('GET', `/session/events?session_id=${sessionId}`)).body as { events: Event[] }
  ).events.filter((event) => event.type === type);

describe('clock exchanges', () => {
  it('over the WebSocket: a burst of 8 with its last stamps sent alone keeps all 8 samples', async () => {
    const { sessionId } = await newSession(tenant);
    const socket = await openSocket(await candidateToken(tenant, sessionId));
    expect(socket.protocol).toBe(CLOCK_PROTOCOL);
    // The browser's clocks run 5 s behind the server's.
    const candidate = browser(-5000);
    await candidate.burst(socket.send, 8);
    expect(await candidate.final(socket.send)).toEqual({ recorded: true });
    socket.close();

    const clock = await report(sessionId);
    expect(clock.samples).toBe(8);
    expectOffset(clock.offset_ms, 5000, clock.rtt_ms);
    expect(clock.offset_series).toHaveLength(8);
    expect(clock.rtt.min_ms).toBeLessThanOrEqual(clock.rtt.median_ms);
    expect(clock.rtt.median_ms).toBeLessThanOrEqual(clock.rtt.p95_ms);
  });

  it('over HTTP: the last stamps sent alone are stored before the 204', async () => {
    const { sessionId } = await newSession(tenant);
    const send = httpSend(await candidateToken(tenant, sessionId));
    const candidate = browser(2000);
    await candidate.burst(send, 3);
    await candidate.final(send);
    expect((await report(sessionId)).samples).toBe(3);
  });

  it('a message the socket cannot use is answered with the error envelope, and the socket stays open', async () => {
    const { sessionId } = await newSession(tenant);
    const socket = await openSocket(await candidateToken(tenant, sessionId));
    expect(await socket.send({ t0: -1 })).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const forged = { t0: 1, server_ms: 2, t3: 3, receipt: 'AAAA' };
    expect(await socket.send({ t0: Date.now(), previous: forged })).toMatchObject({
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/receipt/) },
    });
    expect(await socket.send({ t0: 5 })).toMatchObject({ t0: 5, server_ms: expect.any(Number) });
    socket.close();
  });

  it('the socket takes the candidate token as a subprotocol, with the clock scope, of an active tenant', async () => {
    const owner = await newTenant();
    const { sessionId } = await newSession(owner);
    const token = await candidateToken(owner, sessionId);
    expect(await refusedUpgrade([CLOCK_PROTOCOL])).toBe(401);
    expect(await refusedUpgrade([token])).toBe(400);
    expect(await refusedUpgrade([CLOCK_PROTOCOL, `${token}x`])).toBe(401);
    await admin('PATCH', `/tenants/${owner.uuid}`, { status: 'suspended' });
    expect(await refusedUpgrade([CLOCK_PROTOCOL, token])).toBe(403);
  });

  it('an open socket closes with 1008 once the 30 s check finds its tenant suspended', async () => {
    const owner = await newTenant();
    const { sessionId } = await newSession(owner);
    const socket = await openSocket(await candidateToken(owner, sessionId));
    await admin('PATCH', `/tenants/${owner.uuid}`, { status: 'suspended' });
    expect(await socket.send({ t0: 1 })).toMatchObject({ t0: 1 });
    await new Promise((resolve) => setTimeout(resolve, 30_500));
    void socket.send({ t0: 2 });
    expect(await socket.closed).toBe(1008);
  });
});

describe("the recorder's clock client", () => {
  /** The recorder's ServiceApi with one way to the clock shut, to see which way a burst went. */
  class OneWayApi extends ServiceApi {
    private readonly shut: 'socket' | 'http';
    constructor(token: string, shut: 'socket' | 'http') {
      super(stack.apiBase, token);
      this.shut = shut;
    }
    override clock(exchange: Parameters<ServiceApi['clock']>[0]) {
      return this.shut === 'http' ? Promise.reject(new Error('HTTP shut')) : super.clock(exchange);
    }
    override clockSocket() {
      return this.shut === 'socket' ? new WebSocket('ws://127.0.0.1:9/closed') : super.clockSocket();
    }
  }

  for (const shut of ['http', 'socket'] as const) {
    it(`syncs a burst of 8, its last stamps included, ${shut === 'http' ? 'over the WebSocket' : 'over HTTP when the socket does not open'}`, async () => {
      const { sessionId } = await newSession(tenant);
      const errors: string[] = [];
      const clock = new ServerClock(
        new OneWayApi(await candidateToken(tenant, sessionId), shut),
        (event, payload) => {
          if (event === 'error') errors.push((payload as { message: string }).message);
        },
      );
      await clock.sync(8);
      expect(errors).toEqual([]);
      expectOffset(clock.estimate?.offsetMs ?? Number.NaN, 0, clock.estimate?.rttMs ?? Number.NaN);
      expect((await report(sessionId)).samples).toBe(8);
    });
  }
});

describe('wall-clock changes', () => {
  for (const [label, shiftMs, transport] of [
    ['+1 h over the WebSocket', HOUR_MS, 'socket'],
    ['−1 h over HTTP', -HOUR_MS, 'http'],
  ] as const) {
    it(`${label}: one clock_changed event of that size, and no sample's offset moves`, async () => {
      const { sessionId } = await newSession(tenant);
      const token = await candidateToken(tenant, sessionId);
      const socket = transport === 'socket' ? await openSocket(token) : null;
      const send = socket?.send ?? httpSend(token);
      const candidate = browser(-5000);
      await candidate.burst(send, 4);
      candidate.setWallClock(shiftMs);
      await candidate.burst(send, 4);
      await candidate.final(send);
      socket?.close();

      await expect.poll(() => eventsOf(sessionId, 'clock_changed'), { timeout: 10_000 }).toHaveLength(1);
      const [event] = await eventsOf(sessionId, 'clock_changed');
      expect(event).toMatchObject({ source: 'clock', severity: 'warning' });
      expect(Math.abs((event?.details.change_ms as number) - shiftMs)).toBeLessThan(50);
      const clock = await report(sessionId);
      expect(clock.samples).toBe(8);
      for (const sample of clock.offset_series) expectOffset(sample.offset_ms, 5000, sample.rtt_ms);
    });
  }
});

describe('live chunk bookkeeping', () => {
  /** Uploads and announces screenshare chunks of 1 s, so the next one is late 2 s after the last. */
  async function recordChunks(sessionId: string, count: number) {
    const token = await candidateToken(tenant, sessionId);
    const firstStart = Date.now() - count * 1000;
    for (let seq = 0; seq < count; seq++) {
      const name = formatChunkName({ seq, startMs: firstStart + seq * 1000, durationMs: 1000, ext: 'webm' });
      const key = `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${name}`;
      await putObject(key);
      const notice = await call('POST', '/session/chunks', {
        headers: { Authorization: `Bearer ${token}` },
        json: { key },
      });
      expect(notice.status).toBe(202);
    }
    return { lastEndMs: firstStart + count * 1000 };
  }

  it('a chunk that does not come raises one recording_gap for its asset', async () => {
    const { sessionId } = await newSession(tenant);
    const { lastEndMs } = await recordChunks(sessionId, 2);
    await expect.poll(() => eventsOf(sessionId, 'recording_gap'), { timeout: 15_000 }).toHaveLength(1);
    const [gap] = await eventsOf(sessionId, 'recording_gap');
    expect(gap).toMatchObject({
      source: 'clock',
      occurred_at_ms: lastEndMs,
      details: { asset: 'screenshare', last_seq: 1, chunk_ms: 1000 },
    });
  });

  it('no gap is raised once processing was requested: the recording has ended', async () => {
    const { sessionId } = await newSession(tenant);
    await recordChunks(sessionId, 1);
    const processed = await tenant.as('POST', '/session/process', { session_id: sessionId });
    expect(processed.headers.get('X-IES-Finalize')).toBe('enqueued');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await eventsOf(sessionId, 'recording_gap')).toEqual([]);
  });
});
