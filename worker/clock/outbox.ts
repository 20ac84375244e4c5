/**
 * The clock object's integrity events on their way to MySQL: kept in the object's SQLite storage first and
 * removed only once the database has them, so an outage delays an event instead of losing it. The
 * idempotency key makes a resend after a lost answer harmless.
 */
import type { Client } from '@planetscale/database';
import { insertEvents, type NewEvent } from '../db/events.ts';

/** Events the database did not take are sent again after this long. */
export const OUTBOX_RETRY_MS = 10_000;
const OUTBOX_BATCH = 100;

export class EventOutbox {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    this.sql.exec(
      'CREATE TABLE IF NOT EXISTS outbox (idempotency_key TEXT PRIMARY KEY, event TEXT NOT NULL)',
    );
  }

  add(event: NewEvent): void {
    this.sql.exec('INSERT OR IGNORE INTO outbox VALUES (?, ?)', event.idempotencyKey, JSON.stringify(event));
  }

  /** Sends what is kept to the database; false when it failed and the events are still kept. */
  async flush(db: Pick<Client, 'execute'>): Promise<boolean> {
    const rows = this.sql
      .exec<{ idempotency_key: string; event: string }>(`SELECT * FROM outbox LIMIT ${OUTBOX_BATCH}`)
      .toArray();
    if (rows.length === 0) return true;
    try {
      await insertEvents(
        db,
        rows.map((row) => JSON.parse(row.event) as NewEvent),
      );
    } catch (error) {
      const sessionId = (JSON.parse(rows[0]?.event ?? '{}') as Partial<NewEvent>).sessionUuid;
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'clock events not stored yet',
          sessionId,
          error: String(error),
        }),
      );
      return false;
    }
    for (const row of rows)
      this.sql.exec('DELETE FROM outbox WHERE idempotency_key = ?', row.idempotency_key);
    return rows.length < OUTBOX_BATCH ? true : this.flush(db);
  }
}
