/**
 * One Durable Object per session keeps the candidate's clock-offset samples in its SQLite storage, so the
 * transcoder and auditors can check the server-time starts that chunk names carry; it notices changes of
 * the browser's wall clock and interruptions of the live chunk stream, and records both as integrity events.
 * Called by native RPC from the Worker (HTTP exchanges, chunk notices, reports) and over a hibernatable
 * WebSocket from the browser (exchanges).
 */
import { DurableObject } from 'cloudflare:workers';
import type { z } from 'zod';
import { ClockExchangeBody, type ClockReport as ClockReportSchema } from '../../contracts/api.ts';
import {
  bestOffset,
  CLOCK_PROTOCOL,
  type ClockSample,
  isClockJump,
  sampleFrom,
  wallClockChange,
} from '../../contracts/clock-offset.ts';
import type { Asset } from '../../contracts/storage.ts';
import { databaseClient } from '../db/client.ts';
import type { NewEvent } from '../db/events.ts';
import { sessionGate } from '../db/sessions.ts';
import { type Bindings, configFrom } from '../env.ts';
import { describeZodError } from '../http/errors.ts';
import { answerExchange, type ClockExchange, RECEIPT_MISMATCH, receiptMatches } from './exchange.ts';
import { chunkLength, gapDeadline, type NoticedChunk } from './gaps.ts';
import { EventOutbox, OUTBOX_RETRY_MS } from './outbox.ts';
import { offsetSeries, rttStats } from './stats.ts';

/** A session's samples are bounded: one exchange every few seconds for 3 hours stays well under this. */
const MAX_SAMPLES = 10_000;
/** Clock jumps kept, the latest ones; a candidate changing the clock all the time is caught long before. */
const MAX_JUMPS = 1_000;
/** An open WebSocket rechecks its tenant this often, as the Worker's gate cache does for HTTP calls. */
const GATE_RECHECK_MS = 30_000;

export interface SessionRef {
  tenantUuid: string;
  sessionUuid: string;
}

type ClockReport = z.infer<typeof ClockReportSchema>;
type ClockEvent = Pick<NewEvent, 'type' | 'severity' | 'occurredAtMs' | 'details' | 'idempotencyKey'>;
type SampleRow = { at_ms: number; offset_ms: number; rtt_ms: number };
type ChunkRow = { asset: Asset; seq: number; start_ms: number; duration_ms: number; deadline_ms: number };

const toSample = (row: SampleRow): ClockSample => ({
  atMs: row.at_ms,
  offsetMs: row.offset_ms,
  rttMs: row.rtt_ms,
});

/** The session's clock object, by its session id. */
export function sessionClock(env: Bindings, sessionUuid: string): DurableObjectStub<SessionClock> {
  return env.SESSION_CLOCK.get(env.SESSION_CLOCK.idFromName(sessionUuid));
}

export class SessionClock extends DurableObject<Bindings> {
  private readonly sql = this.ctx.storage.sql;
  /** When this instance last found the session's tenant active (in memory: a woken object checks again). */
  private gateCheckedAt = 0;
  private readonly outbox = new EventOutbox(this.sql);

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS samples (at_ms REAL NOT NULL, offset_ms REAL NOT NULL, rtt_ms REAL NOT NULL);
      CREATE INDEX IF NOT EXISTS samples_at ON samples (at_ms);
      CREATE TABLE IF NOT EXISTS jumps (at_ms REAL NOT NULL, from_offset_ms REAL NOT NULL, to_offset_ms REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS chunks (asset TEXT PRIMARY KEY, seq INTEGER NOT NULL, start_ms REAL NOT NULL,
        duration_ms REAL NOT NULL, deadline_ms REAL);`);
  }

  /**
   * Records an exchange whose `previous` receipt was checked: the sample the browser measured on its
   * previous exchange (once, however often it is sent), and a change of its wall clock since the last one.
   */
  async record(session: SessionRef, exchange: ClockExchange): Promise<void> {
    this.remember(session);
    if (exchange.previous) {
      const { t0, server_ms, t3 } = exchange.previous;
      this.addSample(sampleFrom(t0, server_ms, t3));
    }
    if (exchange.t0 === undefined || exchange.wall_ms === undefined) return;
    const skewMs = exchange.wall_ms - exchange.t0;
    const before = this.meta('wall_skew_ms');
    this.sql.exec("INSERT OR REPLACE INTO meta VALUES ('wall_skew_ms', ?)", String(skewMs));
    const changeMs = before === null ? null : wallClockChange(Number(before), skewMs);
    if (changeMs === null) return;
    this.queueEvent(session, {
      type: 'clock_changed',
      severity: 'warning',
      occurredAtMs: Date.now(),
      details: { change_ms: changeMs, wall_ms: exchange.wall_ms, t0: exchange.t0 },
      idempotencyKey: `clock_changed:${exchange.t0}:${exchange.wall_ms}`,
    });
    await this.flush();
  }

  /** Opens the browser's clock WebSocket; the Worker checked the candidate token and the tenant. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const session = {
      tenantUuid: url.searchParams.get('tenant') ?? '',
      sessionUuid: url.searchParams.get('session') ?? '',
    };
    this.remember(session);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(session);
    this.gateCheckedAt = Date.now();
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: { 'Sec-WebSocket-Protocol': CLOCK_PROTOCOL },
    });
  }

  /** One exchange over the WebSocket: the same messages and rules as `POST /session/clock`. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const session = ws.deserializeAttachment() as SessionRef;
    // An ASCII reason: with a typographic apostrophe in it, the browser saw 1006 instead (clock.test.ts).
    if (!(await this.gateOpen(session)))
      return ws.close(1008, 'The tenant is not active or the session is gone');
    const sendError = (text: string) =>
      ws.send(
        JSON.stringify({ error: { code: 'BAD_REQUEST', message: text, requestId: crypto.randomUUID() } }),
      );
    let body: unknown;
    try {
      body = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
    } catch {
      return sendError('The message is not JSON');
    }
    const parsed = ClockExchangeBody.safeParse(body);
    if (!parsed.success) return sendError(describeZodError(parsed.error));
    const exchange = parsed.data;
    const secret = configFrom(this.env).TOKEN_SIGNING_KEY;
    if (exchange.previous && !(await receiptMatches(secret, session.sessionUuid, exchange.previous)))
      return sendError(RECEIPT_MISMATCH);
    // Answered before recording: the server time is stamped as close to the send as it can be.
    if (exchange.t0 !== undefined)
      ws.send(JSON.stringify(await answerExchange(secret, session.sessionUuid, exchange.t0)));
    await this.record(session, exchange);
    if (exchange.t0 === undefined) ws.send(JSON.stringify({ recorded: true }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005, 1006 and 1015 are reserved: never sent in a close frame (RFC 6455 §7.4.1), and workerd throws on them.
    ws.close([1005, 1006, 1015].includes(code) ? 1000 : code);
  }

  /**
   * A chunk notice of the session: arms the asset's gap alarm for its next chunk. An older or repeated
   * notice (a queue flushed after an outage) says nothing about what comes next.
   */
  async chunkLanded(session: SessionRef, chunk: NoticedChunk & { asset: Asset }): Promise<void> {
    this.remember(session);
    const last = this.sql.exec<ChunkRow>('SELECT * FROM chunks WHERE asset = ?', chunk.asset).toArray()[0];
    if (last && chunk.seq <= last.seq) return;
    const length = chunkLength(chunk, last?.start_ms ?? null);
    const deadline = length === null ? null : gapDeadline(chunk, length, Date.now());
    this.sql.exec(
      'INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)',
      chunk.asset,
      chunk.seq,
      chunk.startMs,
      chunk.durationMs,
      deadline,
    );
    if (deadline !== null) await this.scheduleAlarm(deadline);
  }

  /**
   * Raises `recording_gap` for each asset whose next chunk is overdue while the session is recording (a
   * session being processed or done has ended its recording), and retries events the database missed.
   */
  override async alarm(): Promise<void> {
    const due = this.sql.exec<ChunkRow>('SELECT * FROM chunks WHERE deadline_ms <= ?', Date.now()).toArray();
    const session = this.session();
    if (due.length > 0 && session) {
      const gate = await sessionGate(this.db(), session.tenantUuid, session.sessionUuid);
      for (const chunk of due) {
        this.sql.exec('UPDATE chunks SET deadline_ms = NULL WHERE asset = ?', chunk.asset);
        if (gate?.session_status !== 'recording') continue;
        this.queueEvent(session, {
          type: 'recording_gap',
          severity: 'warning',
          occurredAtMs: chunk.start_ms + chunk.duration_ms,
          details: {
            asset: chunk.asset,
            last_seq: chunk.seq,
            chunk_ms: chunk.duration_ms,
            deadline_ms: chunk.deadline_ms,
          },
          idempotencyKey: `recording_gap:${chunk.asset}:${chunk.seq}`,
        });
      }
    }
    await this.flush();
    const next = this.sql
      .exec<{ at: number | null }>('SELECT MIN(deadline_ms) AS at FROM chunks')
      .toArray()[0]?.at;
    if (next !== null && next !== undefined) await this.scheduleAlarm(next);
  }

  /** The current estimate, round-trip statistics, the offset over time and the jumps seen. */
  report(): ClockReport {
    const samples = this.sql.exec<SampleRow>('SELECT * FROM samples ORDER BY rowid').toArray().map(toSample);
    const best = bestOffset(samples);
    return {
      samples: samples.length,
      offset_ms: best?.offsetMs ?? null,
      rtt_ms: best?.rttMs ?? null,
      rtt: rttStats(samples.map((sample) => sample.rttMs)),
      offset_series: offsetSeries(samples).map((s) => ({
        at_ms: s.atMs,
        offset_ms: s.offsetMs,
        rtt_ms: s.rttMs,
      })),
      clock_jumps: this.sql
        .exec<{ at_ms: number; from_offset_ms: number; to_offset_ms: number }>(
          'SELECT * FROM jumps ORDER BY rowid',
        )
        .toArray(),
    };
  }

  /** Keeps a sample once (a browser may send the same stamps twice), flagging a jump from the one before. */
  private addSample(sample: ClockSample): void {
    const same = this.sql.exec(
      'SELECT 1 FROM samples WHERE at_ms = ? AND offset_ms = ? AND rtt_ms = ?',
      sample.atMs,
      sample.offsetMs,
      sample.rttMs,
    );
    if (same.toArray().length > 0) return;
    const previous = this.sql
      .exec<SampleRow>('SELECT * FROM samples ORDER BY rowid DESC LIMIT 1')
      .toArray()[0];
    if (previous && isClockJump(toSample(previous), sample)) {
      this.sql.exec('INSERT INTO jumps VALUES (?, ?, ?)', sample.atMs, previous.offset_ms, sample.offsetMs);
      this.sql.exec(`DELETE FROM jumps WHERE rowid <= (SELECT MAX(rowid) FROM jumps) - ${MAX_JUMPS}`);
    }
    this.sql.exec('INSERT INTO samples VALUES (?, ?, ?)', sample.atMs, sample.offsetMs, sample.rttMs);
    this.sql.exec(`DELETE FROM samples WHERE rowid <= (SELECT MAX(rowid) FROM samples) - ${MAX_SAMPLES}`);
  }

  private meta(key: string): string | null {
    return (
      this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value ??
      null
    );
  }

  /** The session this object is for, kept so that alarms know it. */
  private remember(session: SessionRef): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO meta VALUES ('tenant_uuid', ?), ('session_uuid', ?)",
      session.tenantUuid,
      session.sessionUuid,
    );
  }

  private session(): SessionRef | null {
    const tenantUuid = this.meta('tenant_uuid');
    const sessionUuid = this.meta('session_uuid');
    return tenantUuid && sessionUuid ? { tenantUuid, sessionUuid } : null;
  }

  private db() {
    return databaseClient(configFrom(this.env).DATABASE_URL);
  }

  /**
   * Whether the session's tenant is still active, from a check at most 30 s old. While the database cannot
   * answer, exchanges go on: the recording's timing must not wait on it.
   */
  private async gateOpen(session: SessionRef): Promise<boolean> {
    if (Date.now() - this.gateCheckedAt < GATE_RECHECK_MS) return true;
    const gate = await sessionGate(this.db(), session.tenantUuid, session.sessionUuid).catch(() => undefined);
    if (gate === undefined) return true;
    // An erased session takes no more samples or events, as every other endpoint answers it 410.
    if (gate?.tenant_status !== 'active' || gate.session_status === 'deleted') return false;
    this.gateCheckedAt = Date.now();
    return true;
  }

  private queueEvent(session: SessionRef, event: ClockEvent): void {
    this.outbox.add({ ...session, source: 'clock', ...event });
  }

  /** Sends the outbox to the database; what it did not take the alarm sends again. */
  private async flush(): Promise<void> {
    if (!(await this.outbox.flush(this.db()))) await this.scheduleAlarm(Date.now() + OUTBOX_RETRY_MS);
  }

  /** Sets the object's one alarm to `at` unless it is already due sooner. */
  private async scheduleAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
