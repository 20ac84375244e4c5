/**
 * One Durable Object per tenant keeps its webhook deliveries' due times in its SQLite storage and sets its
 * one alarm to the earliest; the alarm makes every due attempt (`attemptDelivery`) and keeps what is left.
 * A delivery is scheduled before its first attempt is made, so a request whose `waitUntil` is cut short
 * loses nothing: the alarm finds it still pending and makes the attempt. MySQL stays the record of
 * deliveries; this object only knows when to look at them. Called by native RPC from the Worker.
 */
import { DurableObject } from 'cloudflare:workers';
import { databaseClient } from '../db/client.ts';
import { type Bindings, configFrom } from '../env.ts';
import { attemptDelivery } from './deliver.ts';

/** A due time the database could not be asked about is tried again after this long. */
const OUTAGE_RETRY_MS = 30_000;
/** Attempts made per alarm; the rest are due at once and taken by the next alarm. */
const ALARM_BATCH = 50;

/** The tenant's dispatcher, by tenant id. */
export function webhookDispatcher(env: Bindings, tenantUuid: string): DurableObjectStub<WebhookDispatcher> {
  return env.WEBHOOK_DISPATCHER.get(env.WEBHOOK_DISPATCHER.idFromName(tenantUuid));
}

export class WebhookDispatcher extends DurableObject<Bindings> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS due (delivery_uuid TEXT PRIMARY KEY, due_ms REAL NOT NULL);
      CREATE INDEX IF NOT EXISTS due_at ON due (due_ms);`);
  }

  /** Looks at these deliveries again at their due times (an earlier time than one kept wins). */
  async schedule(entries: Array<{ deliveryUuid: string; dueMs: number }>): Promise<void> {
    for (const entry of entries) {
      this.sql.exec(
        `INSERT INTO due VALUES (?, ?)
           ON CONFLICT (delivery_uuid) DO UPDATE SET due_ms = MIN(due_ms, excluded.due_ms)`,
        entry.deliveryUuid,
        entry.dueMs,
      );
    }
    await this.armAlarm();
  }

  override async alarm(): Promise<void> {
    const config = configFrom(this.env);
    const db = databaseClient(config.DATABASE_URL);
    const due = this.sql
      .exec<{ delivery_uuid: string }>(
        'SELECT delivery_uuid FROM due WHERE due_ms <= ? ORDER BY due_ms LIMIT ?',
        Date.now(),
        ALARM_BATCH,
      )
      .toArray();
    await Promise.all(
      due.map(async ({ delivery_uuid }) => {
        let dueMs: number | null;
        try {
          const outcome = await attemptDelivery(db, config, delivery_uuid, Date.now());
          dueMs = outcome.done ? null : outcome.dueMs;
        } catch (error) {
          console.error(
            JSON.stringify({
              level: 'error',
              msg: 'webhook attempt failed',
              deliveryId: delivery_uuid,
              error: String(error),
            }),
          );
          dueMs = Date.now() + OUTAGE_RETRY_MS;
        }
        if (dueMs === null) this.sql.exec('DELETE FROM due WHERE delivery_uuid = ?', delivery_uuid);
        else this.sql.exec('UPDATE due SET due_ms = ? WHERE delivery_uuid = ?', dueMs, delivery_uuid);
      }),
    );
    await this.armAlarm();
  }

  /** Sets the alarm to the earliest due time kept, or clears it when nothing is. */
  private async armAlarm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>('SELECT MIN(due_ms) AS at FROM due').one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}
