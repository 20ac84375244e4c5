/**
 * The integrity events table: signals from the tenant's server, the candidate's recorder and the session's
 * clock, read back per session in (occurred_at_ms, id) order. Every query is scoped by tenant.
 */
import type { Client } from '@planetscale/database';
import type { EVENT_SEVERITIES, EVENT_SOURCES } from '../../contracts/api.ts';

export interface NewEvent {
  tenantUuid: string;
  sessionUuid: string;
  source: (typeof EVENT_SOURCES)[number];
  type: string;
  severity: (typeof EVENT_SEVERITIES)[number];
  occurredAtMs: number;
  details: Record<string, unknown>;
  idempotencyKey: string;
}

export interface EventRow {
  id: string;
  type: string;
  source: NewEvent['source'];
  severity: NewEvent['severity'];
  occurred_at_ms: string;
  details: Record<string, unknown>;
  idempotency_key: string;
}

/** Where a page ends: the last event's time and id. */
export interface EventPosition {
  occurredAtMs: number;
  id: string;
}

/**
 * Stores the events in one statement and returns how many were new. An event whose (session, source,
 * idempotency key) is already stored is skipped. INSERT IGNORE also turns other errors into warnings
 * (MySQL 8.0 reference, "The Effect of IGNORE on Statement Execution"): callers store only validated
 * events of a session they found, so a duplicate key is the only one left.
 */
export async function insertEvents(db: Pick<Client, 'execute'>, events: readonly NewEvent[]) {
  if (events.length === 0) return 0;
  const result = await db.execute(
    `INSERT IGNORE INTO integrity_events
       (tenant_uuid, session_uuid, source, type, severity, occurred_at_ms, details, idempotency_key)
     VALUES ${events.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    events.flatMap((event) => [
      event.tenantUuid,
      event.sessionUuid,
      event.source,
      event.type,
      event.severity,
      event.occurredAtMs,
      JSON.stringify(event.details),
      event.idempotencyKey,
    ]),
  );
  return result.rowsAffected;
}

/** Up to `limit` events of the session after `after` (from the start when null), in timeline order. */
export async function listEvents(
  db: Pick<Client, 'execute'>,
  tenantUuid: string,
  sessionUuid: string,
  after: EventPosition | null,
  limit: number,
): Promise<EventRow[]> {
  const { occurredAtMs, id } = after ?? { occurredAtMs: -1, id: '0' };
  const result = await db.execute<EventRow>(
    `SELECT id, type, source, severity, occurred_at_ms, details, idempotency_key FROM integrity_events
      WHERE tenant_uuid = ? AND session_uuid = ?
        AND (occurred_at_ms > ? OR (occurred_at_ms = ? AND id > ?))
      ORDER BY occurred_at_ms, id LIMIT ?`,
    [tenantUuid, sessionUuid, occurredAtMs, occurredAtMs, id, limit],
  );
  return result.rows;
}
