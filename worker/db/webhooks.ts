/**
 * Webhook endpoints, their deliveries and each delivery's attempts (migration 0008). Every read a tenant
 * can cause is scoped by tenant; deliveries are claimed one attempt at a time, so a retry run by the
 * dispatcher's alarm and a first attempt still running in a request's `waitUntil` never both send.
 */
import type { Client } from '@planetscale/database';
import type { WebhookEventType } from '../../contracts/webhooks.ts';

type Db = Pick<Client, 'execute'>;

export interface EndpointRow {
  uuid: string;
  tenant_uuid: string;
  url: string;
  event_types: WebhookEventType[];
  description: string | null;
  secret_ciphertext: string;
  created_at: string;
}

export interface DeliveryRow {
  uuid: string;
  tenant_uuid: string;
  endpoint_uuid: string;
  event_id: string;
  event_type: WebhookEventType;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  created_at_ms: string;
  next_attempt_at_ms: string | null;
  delivered_at_ms: string | null;
}

export interface AttemptRow {
  delivery_uuid: string;
  attempt: number;
  attempted_at_ms: string;
  response_status: number | null;
  error: string | null;
  duration_ms: number;
}

/** The driver hands JSON columns back as text or parsed, depending on the server: read both. */
const parsedTypes = (row: EndpointRow): EndpointRow => ({
  ...row,
  event_types: typeof row.event_types === 'string' ? JSON.parse(row.event_types) : row.event_types,
});

export async function insertEndpoint(db: Db, row: Omit<EndpointRow, 'created_at'>): Promise<void> {
  await db.execute(
    `INSERT INTO webhook_endpoints (uuid, tenant_uuid, url, event_types, description, secret_ciphertext)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [
      row.uuid,
      row.tenant_uuid,
      row.url,
      JSON.stringify(row.event_types),
      row.description,
      row.secret_ciphertext,
    ],
  );
}

export async function listEndpoints(db: Db, tenantUuid: string): Promise<EndpointRow[]> {
  const result = await db.execute<EndpointRow>(
    'SELECT * FROM webhook_endpoints WHERE tenant_uuid = ? ORDER BY created_at, uuid',
    [tenantUuid],
  );
  return result.rows.map(parsedTypes);
}

export async function findEndpoint(db: Db, tenantUuid: string, uuid: string): Promise<EndpointRow | null> {
  const result = await db.execute<EndpointRow>(
    'SELECT * FROM webhook_endpoints WHERE tenant_uuid = ? AND uuid = ?',
    [tenantUuid, uuid],
  );
  const row = result.rows[0];
  return row ? parsedTypes(row) : null;
}

/** Removes an endpoint; its deliveries stay readable in no listing and their pending attempts fail. */
export async function deleteEndpoint(db: Db, tenantUuid: string, uuid: string): Promise<boolean> {
  const result = await db.execute('DELETE FROM webhook_endpoints WHERE tenant_uuid = ? AND uuid = ?', [
    tenantUuid,
    uuid,
  ]);
  return result.rowsAffected === 1;
}

/**
 * Records one delivery of the event per endpoint that wants its type (a delivery already recorded for an
 * endpoint is kept: the event's id makes a repeat of the event a no-op) and returns every delivery of the
 * event still pending — the ones just recorded and any an earlier, interrupted publish recorded but may
 * not have scheduled, so a retried publish schedules them rather than leaving them pending for ever.
 */
export async function insertDeliveries(
  db: Db,
  event: { tenantUuid: string; id: string; type: WebhookEventType; payload: string; nowMs: number },
): Promise<DeliveryRow[]> {
  const endpoints = (await listEndpoints(db, event.tenantUuid)).filter((endpoint) =>
    endpoint.event_types.includes(event.type),
  );
  for (const endpoint of endpoints) {
    await db.execute(
      `INSERT IGNORE INTO webhook_deliveries
         (uuid, tenant_uuid, endpoint_uuid, event_id, event_type, payload, created_at_ms, next_attempt_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        crypto.randomUUID(),
        event.tenantUuid,
        endpoint.uuid,
        event.id,
        event.type,
        event.payload,
        event.nowMs,
        event.nowMs,
      ],
    );
  }
  const pending = await db.execute<DeliveryRow>(
    "SELECT * FROM webhook_deliveries WHERE tenant_uuid = ? AND event_id = ? AND status = 'pending'",
    [event.tenantUuid, event.id],
  );
  return pending.rows;
}

export async function findDelivery(db: Db, uuid: string): Promise<DeliveryRow | null> {
  const result = await db.execute<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE uuid = ?', [uuid]);
  return result.rows[0] ?? null;
}

/**
 * Claims attempt `attempts + 1` of a pending delivery and sets when the one after it is due (null: none);
 * true for exactly one caller per attempt.
 */
export async function claimAttempt(
  db: Db,
  delivery: Pick<DeliveryRow, 'uuid' | 'attempts'>,
  nextAttemptAtMs: number | null,
): Promise<boolean> {
  const result = await db.execute(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at_ms = ?
      WHERE uuid = ? AND status = 'pending' AND attempts = ?`,
    [nextAttemptAtMs, delivery.uuid, delivery.attempts],
  );
  return result.rowsAffected === 1;
}

/** Records an attempt and what it means for the delivery: delivered, failed for good, or still pending. */
export async function recordAttempt(
  db: Db,
  attempt: Omit<AttemptRow, 'attempted_at_ms'> & { attempted_at_ms: number },
  outcome: { status: DeliveryRow['status']; nowMs: number },
): Promise<void> {
  await db.execute(
    `INSERT IGNORE INTO webhook_attempts
       (delivery_uuid, attempt, attempted_at_ms, response_status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`,
    [
      attempt.delivery_uuid,
      attempt.attempt,
      attempt.attempted_at_ms,
      attempt.response_status,
      attempt.error,
      attempt.duration_ms,
    ],
  );
  if (outcome.status === 'pending') return;
  await db.execute(
    `UPDATE webhook_deliveries SET status = ?, next_attempt_at_ms = NULL, delivered_at_ms = ?
      WHERE uuid = ? AND status = 'pending'`,
    [outcome.status, outcome.status === 'delivered' ? outcome.nowMs : null, attempt.delivery_uuid],
  );
}

/** An endpoint's deliveries, newest first, with their attempts. */
export async function listDeliveries(db: Db, endpointUuid: string, limit: number) {
  const deliveries = await db.execute<DeliveryRow>(
    'SELECT * FROM webhook_deliveries WHERE endpoint_uuid = ? ORDER BY created_at_ms DESC, uuid LIMIT ?',
    [endpointUuid, limit],
  );
  if (deliveries.rows.length === 0) return [];
  const ids = deliveries.rows.map((row) => row.uuid);
  const attempts = await db.execute<AttemptRow>(
    `SELECT * FROM webhook_attempts WHERE delivery_uuid IN (${ids.map(() => '?').join(', ')})
      ORDER BY delivery_uuid, attempt`,
    ids,
  );
  return deliveries.rows.map((delivery) => ({
    delivery,
    attempts: attempts.rows.filter((attempt) => attempt.delivery_uuid === delivery.uuid),
  }));
}
