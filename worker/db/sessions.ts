/**
 * The sessions table. The Worker is its only writer: the transcoder reports through the internal endpoint.
 * Every query is scoped by tenant, so one tenant's key can never reach another tenant's session.
 */
import type { Client } from '@planetscale/database';
import type { SESSION_STATUSES } from '../../contracts/api.ts';
import type { FailureCode, SessionStatusReport } from '../../contracts/jobs.ts';
import { isDuplicateKey } from './client.ts';

export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface SessionRow {
  uuid: string;
  tenant_uuid: string;
  unique_identifier: string;
  product_type: string | null;
  product_id: string | null;
  status: SessionStatus;
  playback_type: 'fullvideo' | 'hls_masterplaylist' | null;
  playback_key: string | null;
  duration_ms: string | null;
  failure_code: FailureCode | null;
  failure_reason: string | null;
  /** The database's `TIMESTAMP` text, UTC: the anchor of the session's time window. */
  created_at: string;
}

export type SessionLookup =
  | { session_id: string }
  | { unique_identifier: string }
  | { product_type: string; product_id: string };

/** A finalize that has not reported back within this long is taken as lost, and may be requested again. */
const FINALIZE_LEASE_MINUTES = 30;

const COLUMNS =
  'uuid, tenant_uuid, unique_identifier, product_type, product_id, status, playback_type, playback_key, duration_ms, failure_code, failure_reason, created_at';

export async function findSession(
  db: Client,
  tenantUuid: string,
  lookup: SessionLookup,
): Promise<SessionRow | null> {
  const [where, values] =
    'session_id' in lookup
      ? ['uuid = ?', [lookup.session_id]]
      : 'unique_identifier' in lookup
        ? ['unique_identifier = ?', [lookup.unique_identifier]]
        : ['product_type = ? AND product_id = ?', [lookup.product_type, lookup.product_id]];
  const result = await db.execute<SessionRow>(
    `SELECT ${COLUMNS} FROM sessions WHERE tenant_uuid = ? AND ${where}`,
    [tenantUuid, ...values],
  );
  return result.rows[0] ?? null;
}

export interface SessionGate {
  session_status: SessionStatus;
  created_at: string;
  tenant_status: string;
}

/** The session's and its tenant's status, which decide whether a browser may still upload to it. */
export async function sessionGate(
  db: Client,
  tenantUuid: string,
  sessionUuid: string,
): Promise<SessionGate | null> {
  const result = await db.execute<SessionGate>(
    `SELECT s.status AS session_status, s.created_at, t.status AS tenant_status
       FROM sessions s JOIN tenants t ON t.uuid = s.tenant_uuid
      WHERE s.tenant_uuid = ? AND s.uuid = ?`,
    [tenantUuid, sessionUuid],
  );
  return result.rows[0] ?? null;
}

/**
 * Creates the tenant's session for `unique_identifier`, or returns the one that exists. The unique key
 * (tenant_uuid, unique_identifier) decides races: the loser of a concurrent insert reads the winner's row.
 * `existing: null` with `created: false` means the product pair already names another session.
 */
export async function createOrFindSession(
  db: Client,
  session: {
    uuid: string;
    tenantUuid: string;
    uniqueIdentifier: string;
    product: { type: string | null; id: string | null };
    metadata: Record<string, unknown>;
  },
): Promise<{ created: true; session: SessionRow } | { created: false; session: SessionRow | null }> {
  try {
    await db.execute(
      `INSERT INTO sessions (uuid, tenant_uuid, unique_identifier, product_type, product_id, session_metadata)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [
        session.uuid,
        session.tenantUuid,
        session.uniqueIdentifier,
        session.product.type,
        session.product.id,
        JSON.stringify(session.metadata),
      ],
    );
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const existing = await findSession(db, session.tenantUuid, {
      unique_identifier: session.uniqueIdentifier,
    });
    if (!existing && (session.product.type === null || session.product.id === null)) throw error;
    return { created: false, session: existing };
  }
  const created = await findSession(db, session.tenantUuid, { session_id: session.uuid });
  if (!created) throw new Error(`session ${session.uuid} vanished after insert`);
  return { created: true, session: created };
}

/** The first chunk notice moves a session from created to recording; later states are left alone. */
export async function markRecording(db: Client, tenantUuid: string, sessionUuid: string): Promise<void> {
  await db.execute(
    "UPDATE sessions SET status = 'recording' WHERE tenant_uuid = ? AND uuid = ? AND status = 'created'",
    [tenantUuid, sessionUuid],
  );
}

/**
 * Claims the right to enqueue a finalize: true for exactly one caller while none is queued or running.
 * A ready session is claimed only when `reprocess` is asked for.
 */
export async function claimFinalize(
  db: Client,
  tenantUuid: string,
  sessionUuid: string,
  reprocess: boolean,
): Promise<boolean> {
  const claimable = reprocess
    ? "('created', 'recording', 'failed', 'ready')"
    : "('created', 'recording', 'failed')";
  const result = await db.execute(
    `UPDATE sessions SET status = 'processing', finalize_requested_at = UTC_TIMESTAMP(), failure_code = NULL,
            failure_reason = NULL
      WHERE tenant_uuid = ? AND uuid = ?
        AND (status IN ${claimable}
             OR (status = 'processing' AND (finalize_requested_at IS NULL
                 OR finalize_requested_at < UTC_TIMESTAMP() - INTERVAL ${FINALIZE_LEASE_MINUTES} MINUTE)))`,
    [tenantUuid, sessionUuid],
  );
  return result.rowsAffected === 1;
}

/**
 * Undoes a claim whose job could not be enqueued, so the client's retry can claim again. A claim that took
 * over a lapsed finalize leaves `processing` with no request time, which the next claim accepts.
 */
export async function releaseFinalize(
  db: Client,
  tenantUuid: string,
  sessionUuid: string,
  previous: SessionStatus,
) {
  await db.execute(
    "UPDATE sessions SET status = ?, finalize_requested_at = NULL WHERE tenant_uuid = ? AND uuid = ? AND status = 'processing'",
    [previous, tenantUuid, sessionUuid],
  );
}

/**
 * Applies the transcoder's report: `no_session` when the tenant has no such session. A failure never
 * replaces a ready recording (`kept_ready`): it is a late report of an attempt a later one superseded, or
 * of work after the recording was playable (its storyboard or stitched video). A deleted session stays
 * deleted: the report is of a finalize that ran while it was being erased.
 */
export async function applyStatusReport(
  db: Client,
  report: SessionStatusReport,
): Promise<'applied' | 'no_session' | 'kept_ready'> {
  const result = await db.execute(
    `UPDATE sessions SET status = ?, playback_type = ?, playback_key = ?, duration_ms = ?, failure_code = ?,
            failure_reason = ?,
            finalize_requested_at = NULL, processed_at = UTC_TIMESTAMP()
      WHERE tenant_uuid = ? AND uuid = ? AND status <> 'deleted' AND NOT (status = 'ready' AND ? = 'failed')`,
    [
      report.status,
      report.playback?.type ?? null,
      report.playback?.key ?? null,
      report.duration_ms ?? null,
      report.status === 'failed' ? (report.failure_code ?? 'processing_error') : null,
      report.reason ?? null,
      report.tenant_uuid,
      report.session_uuid,
      report.status,
    ],
  );
  // A repeated identical report changes no row, which MySQL may count as 0 affected.
  if (result.rowsAffected === 1) return 'applied';
  const session = await findSession(db, report.tenant_uuid, { session_id: report.session_uuid });
  if (!session) return 'no_session';
  return session.status === 'ready' && report.status === 'failed' ? 'kept_ready' : 'applied';
}
