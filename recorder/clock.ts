/**
 * The browser's view of server time: its monotonic clock (`performance.timeOrigin + performance.now()`,
 * which a candidate changing the system clock does not move) plus the offset measured by clock exchanges
 * with the session's clock: over its WebSocket, or over HTTP where the socket does not open. Each exchange
 * sends back the previous one's stamps and receipt, because the service keeps a sample only with the
 * receipt it signed for it; a burst ends by sending its last stamps alone. Each also carries `Date.now()`,
 * so the service sees the system clock being changed.
 */
import { bestOffset, type ClockSample, sampleFrom } from '../contracts/clock-offset.ts';
import type { ClockExchange, ClockReply, ServiceApi } from './api.ts';
import type { Emit } from './events.ts';

/** Exchanges at start; the shortest round trip of them bounds the offset's error by rtt / 2. */
export const START_BURST = 8;
/** Exchanges per re-sync: with a window of 8, the estimate spans the last two re-syncs. */
const RESYNC_BURST = 4;
const RESYNC_EVERY_MS = 60_000;
const SAMPLES_KEPT = 64;
/** How long the clock WebSocket may take to open before a burst goes over HTTP instead. */
const SOCKET_OPEN_MS = 3000;

type Send = (message: ClockExchange) => Promise<ClockReply | null>;

/** Browser monotonic time in Unix-epoch milliseconds. */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();

export class ServerClock {
  private readonly samples: ClockSample[] = [];
  private previous: ClockExchange['previous'];
  private timer: ReturnType<typeof setInterval> | undefined;
  private syncing: Promise<void> | undefined;
  private readonly resync = () => {
    if (document.visibilityState === 'visible' && navigator.onLine) void this.sync(RESYNC_BURST);
  };

  private readonly api: ServiceApi;
  private readonly emit: Emit;

  constructor(api: ServiceApi, emit: Emit) {
    this.api = api;
    this.emit = emit;
  }

  /** The current estimate, or null before any exchange answered. */
  get estimate(): ClockSample | null {
    return bestOffset(this.samples);
  }

  /**
   * Server time of a monotonic instant. Before any exchange answered, the system clock's own offset from
   * the monotonic clock stands in, so a recording never waits on the network.
   */
  serverTime(monotonicMs: number = monotonicNow()): number {
    const offset = this.estimate?.offsetMs ?? Date.now() - monotonicNow();
    return Math.round(monotonicMs + offset);
  }

  /** Runs the start burst, then re-syncs every minute and when the page is shown or back online. */
  async start(): Promise<void> {
    await this.sync(START_BURST);
    this.timer = setInterval(this.resync, RESYNC_EVERY_MS);
    document.addEventListener('visibilitychange', this.resync);
    window.addEventListener('online', this.resync);
  }

  stop(): void {
    clearInterval(this.timer);
    document.removeEventListener('visibilitychange', this.resync);
    window.removeEventListener('online', this.resync);
  }

  /**
   * `count` exchanges one after another, then the last one's stamps alone; one sync at a time. A failed
   * exchange ends the burst.
   */
  sync(count: number): Promise<void> {
    this.syncing ??= (async () => {
      const channel = await openChannel(this.api);
      try {
        for (let i = 0; i < count; i++) await this.exchange(channel.send);
        if (this.previous) await channel.send({ previous: this.previous });
        this.previous = undefined;
      } catch (error) {
        this.emit('error', { message: `clock sync: ${(error as Error).message}` });
      } finally {
        channel.close();
        this.syncing = undefined;
      }
      const best = this.estimate;
      if (best) this.emit('clock', { offsetMs: best.offsetMs, rttMs: best.rttMs });
    })();
    return this.syncing;
  }

  private async exchange(send: Send): Promise<void> {
    const t0 = monotonicNow();
    const reply = await send({ t0, wall_ms: Date.now(), previous: this.previous });
    const t3 = monotonicNow();
    if (!reply) throw new Error('the clock exchange was not answered');
    this.samples.push(sampleFrom(t0, reply.server_ms, t3));
    if (this.samples.length > SAMPLES_KEPT) this.samples.shift();
    this.previous = { t0, server_ms: reply.server_ms, t3, receipt: reply.receipt };
  }
}

/** A burst's channel: the session clock's WebSocket, or HTTP when it does not open in time. */
async function openChannel(api: ServiceApi): Promise<{ send: Send; close: () => void }> {
  const socket = api.clockSocket();
  const opened = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), SOCKET_OPEN_MS);
    const settle = (open: boolean) => () => {
      clearTimeout(timer);
      resolve(open);
    };
    socket.addEventListener('open', settle(true), { once: true });
    socket.addEventListener('error', settle(false), { once: true });
  });
  if (!opened) {
    socket.close();
    return { send: (message) => api.clock(message), close: () => undefined };
  }
  const send: Send = (message) =>
    new Promise((resolve, reject) => {
      const done = () => {
        socket.removeEventListener('message', onMessage);
        socket.removeEventListener('close', onClose);
      };
      const onMessage = (event: MessageEvent) => {
        done();
        const reply = JSON.parse(String(event.data)) as ClockReply & { error?: { message: string } };
        if (reply.error) reject(new Error(reply.error.message));
        else resolve(message.t0 === undefined ? null : reply);
      };
      const onClose = () => {
        done();
        reject(new Error('the clock socket closed'));
      };
      socket.addEventListener('message', onMessage);
      socket.addEventListener('close', onClose);
      socket.send(JSON.stringify(message));
    });
  return { send, close: () => socket.close(1000) };
}
