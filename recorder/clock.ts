/**
 * The browser's view of server time: its monotonic clock (`performance.timeOrigin + performance.now()`,
 * which a candidate changing the system clock does not move) plus the offset measured by HTTP clock
 * exchanges with the session's clock. Each exchange sends back the previous one's stamps and receipt,
 * because the service keeps a sample only with the receipt it signed for it.
 */
import { bestOffset, type ClockSample, sampleFrom } from '../contracts/clock-offset.ts';
import type { ClockExchange, ServiceApi } from './api.ts';
import type { Emit } from './events.ts';

/** Exchanges at start; the shortest round trip of them bounds the offset's error by rtt / 2. */
export const START_BURST = 8;
/** Exchanges per re-sync: with a window of 8, the estimate spans the last two re-syncs. */
const RESYNC_BURST = 4;
const RESYNC_EVERY_MS = 60_000;
const SAMPLES_KEPT = 64;

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

  /** `count` exchanges one after another; one sync at a time. A failed exchange ends the burst. */
  sync(count: number): Promise<void> {
    this.syncing ??= (async () => {
      try {
        for (let i = 0; i < count; i++) await this.exchange();
      } catch (error) {
        this.emit('error', { message: `clock sync: ${(error as Error).message}` });
      } finally {
        this.syncing = undefined;
      }
      const best = this.estimate;
      if (best) this.emit('clock', { offsetMs: best.offsetMs, rttMs: best.rttMs });
    })();
    return this.syncing;
  }

  private async exchange(): Promise<void> {
    const t0 = monotonicNow();
    const reply = await this.api.clock({ t0, previous: this.previous });
    const t3 = monotonicNow();
    this.samples.push(sampleFrom(t0, reply.server_ms, t3));
    if (this.samples.length > SAMPLES_KEPT) this.samples.shift();
    this.previous = { t0, server_ms: reply.server_ms, t3, receipt: reply.receipt };
  }
}
