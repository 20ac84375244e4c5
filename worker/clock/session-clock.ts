/**
 * One Durable Object per session keeps the candidate's clock-offset samples in its SQLite storage, so the
 * transcoder and auditors can check the server-time starts that chunk names carry, and clock jumps are
 * recorded as they happen. Called by native RPC from the Worker.
 */
import { DurableObject } from 'cloudflare:workers';
import type { z } from 'zod';
import type { ClockReport as ClockReportSchema } from '../../contracts/api.ts';
import { bestOffset, type ClockSample, isClockJump } from '../../contracts/clock-offset.ts';

/** A session's samples are bounded: one exchange every few seconds for 3 hours stays well under this. */
const MAX_SAMPLES = 10_000;
/** Clock jumps kept, the latest ones; a candidate changing the clock all the time is caught long before. */
const MAX_JUMPS = 1_000;

type ClockReport = z.infer<typeof ClockReportSchema>;

export class SessionClock extends DurableObject<Record<string, never>> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS samples (at_ms REAL NOT NULL, offset_ms REAL NOT NULL, rtt_ms REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS jumps (at_ms REAL NOT NULL, from_offset_ms REAL NOT NULL, to_offset_ms REAL NOT NULL);`);
  }

  /** Records the sample the browser measured on its previous exchange, flagging a jump from the one before. */
  record(sample: ClockSample): void {
    const previous = this.sql
      .exec<{ at_ms: number; offset_ms: number; rtt_ms: number }>(
        'SELECT at_ms, offset_ms, rtt_ms FROM samples ORDER BY rowid DESC LIMIT 1',
      )
      .toArray()[0];
    if (previous) {
      const before = { atMs: previous.at_ms, offsetMs: previous.offset_ms, rttMs: previous.rtt_ms };
      if (isClockJump(before, sample)) {
        this.sql.exec('INSERT INTO jumps VALUES (?, ?, ?)', sample.atMs, before.offsetMs, sample.offsetMs);
        this.sql.exec(`DELETE FROM jumps WHERE rowid <= (SELECT MAX(rowid) FROM jumps) - ${MAX_JUMPS}`);
      }
    }
    this.sql.exec('INSERT INTO samples VALUES (?, ?, ?)', sample.atMs, sample.offsetMs, sample.rttMs);
    this.sql.exec(`DELETE FROM samples WHERE rowid <= (SELECT MAX(rowid) FROM samples) - ${MAX_SAMPLES}`);
  }

  /** The current estimate and the jumps seen. */
  report(): ClockReport {
    const samples = this.sql
      .exec<{ at_ms: number; offset_ms: number; rtt_ms: number }>('SELECT * FROM samples ORDER BY rowid')
      .toArray()
      .map((row) => ({ atMs: row.at_ms, offsetMs: row.offset_ms, rttMs: row.rtt_ms }));
    const best = bestOffset(samples);
    return {
      samples: samples.length,
      offset_ms: best?.offsetMs ?? null,
      rtt_ms: best?.rttMs ?? null,
      clock_jumps: this.sql
        .exec<{ at_ms: number; from_offset_ms: number; to_offset_ms: number }>(
          'SELECT * FROM jumps ORDER BY rowid',
        )
        .toArray(),
    };
  }
}
