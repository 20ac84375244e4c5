/**
 * Deletions of sessions' objects: the tombstone a whole-session deletion leaves in `sessions`, and the
 * `deletion_audit` row every deletion has — the request, its job's dispatch, and the proof of what was
 * removed. At most one row per session and scope (its unique key), so requests are idempotent.
 */
import type { Client } from '@planetscale/database';
import type { DeletionReason, DeletionScope } from '../../contracts/deletion.ts';
import type { DeletionReport } from '../../contracts/jobs.ts';
import { datetimeFromIso, isoFromDatetime } from './client.ts';

export interface DeletionRow {
  uuid: string;
  tenant_uuid: string;
  session_uuid: string;
  scope: DeletionScope;
  reason: DeletionReason;
  api_key_uuid: string | null;
  requested_at: string;
  completed_at: string | null;
  objects_removed: string | null;
  bytes_removed: string | null;
}

/** A job not reported done within this long is taken as lost and enqueued again. */
const DISPATCH_LEASE_MINUTES = 30;

/** What a session keeps once deleted: its ids (tenant, uuid, unique_identifier, product pair) and times. */
const TOMBSTONE = `status = 'deleted', session_metadata = NULL, playback_type = NULL, playback_key = NULL,
  duration_ms = NULL, failure_code = NULL, failure_reason = NULL, finalize_requested_at = NULL`;

/** Audit rows for the whole-session deletions of a tenant's tombstones that have none yet. */
async function auditTombstones(db: Client, tenantUuid: string, reason: DeletionReason) {
  await db.execute(
    `INSERT IGNORE INTO deletion_audit (uuid, tenant_uuid, session_uuid, scope, reason, requested_at)
     SELECT UUID(), s.tenant_uuid, s.uuid, 'session', ?, UTC_TIMESTAMP() FROM sessions s
      WHERE s.tenant_uuid = ? AND s.status = 'deleted'
        AND NOT EXISTS (SELECT 1 FROM deletion_audit a WHERE a.session_uuid = s.uuid AND a.scope = 'session')`,
    [reason, tenantUuid],
  );
}

/**
 * Makes the session a tombstone and records the request; false when it already was one. From here on the
 * API answers 410 for it, so nothing new is uploaded while its objects are removed.
 */
export async function requestSessionDeletion(
  db: Client,
  request: { tenantUuid: string; sessionUuid: string; apiKeyUuid: string },
): Promise<boolean> {
  const tombstoned = await db.execute(
    `UPDATE sessions SET ${TOMBSTONE} WHERE tenant_uuid = ? AND uuid = ? AND status <> 'deleted'`,
    [request.tenantUuid, request.sessionUuid],
  );
  if (tombstoned.rowsAffected !== 1) return false;
  await db.execute(
    `INSERT IGNORE INTO deletion_audit (uuid, tenant_uuid, session_uuid, scope, reason, api_key_uuid, requested_at)
     VALUES (?, ?, ?, 'session', 'request', ?, UTC_TIMESTAMP())`,
    [crypto.randomUUID(), request.tenantUuid, request.sessionUuid, request.apiKeyUuid],
  );
  return true;
}

/** Every session of the tenant becomes a tombstone with its deletion recorded; returns how many. */
export async function requestTenantDeletion(db: Client, tenantUuid: string): Promise<number> {
  const tombstoned = await db.execute(
    `UPDATE sessions SET ${TOMBSTONE} WHERE tenant_uuid = ? AND status <> 'deleted'`,
    [tenantUuid],
  );
  await auditTombstones(db, tenantUuid, 'tenant_erasure');
  return tombstoned.rowsAffected;
}

/**
 * Records the deletions retention asks for in one tenant, at most `limit` per scope: sessions created
 * before `cutoffs.session` are erased whole; ready ones before `cutoffs.raw` lose their raw chunks; others
 * before `cutoffs.reports` their reports. A deletion already recorded is not recorded again.
 */
export async function requestRetentionDeletions(
  db: Client,
  tenantUuid: string,
  cutoffs: Record<DeletionScope, Date>,
  limit: number,
): Promise<void> {
  const before = (scope: DeletionScope) => datetimeFromIso(cutoffs[scope].toISOString());
  await db.execute(
    `UPDATE sessions SET ${TOMBSTONE}
      WHERE tenant_uuid = ? AND status <> 'deleted' AND created_at < ? ORDER BY created_at LIMIT ?`,
    [tenantUuid, before('session'), limit],
  );
  await auditTombstones(db, tenantUuid, 'retention');
  for (const [scope, statuses] of [
    ['raw', "('ready')"],
    ['reports', "('created', 'recording', 'processing', 'ready', 'failed')"],
  ] as const) {
    await db.execute(
      `INSERT IGNORE INTO deletion_audit (uuid, tenant_uuid, session_uuid, scope, reason, requested_at)
       SELECT UUID(), s.tenant_uuid, s.uuid, ?, 'retention', UTC_TIMESTAMP() FROM sessions s
        WHERE s.tenant_uuid = ? AND s.status IN ${statuses} AND s.created_at < ?
          AND NOT EXISTS (SELECT 1 FROM deletion_audit a WHERE a.session_uuid = s.uuid AND a.scope = ?)
        ORDER BY s.created_at LIMIT ?`,
      [scope, tenantUuid, before(scope), scope, limit],
    );
  }
}

/** Deletions whose job is not done and was not enqueued within the lease, oldest first. */
export async function pendingDeletions(
  db: Client,
  limit: number,
  only: { tenantUuid?: string } = {},
): Promise<DeletionRow[]> {
  const result = await db.execute<DeletionRow>(
    `SELECT * FROM deletion_audit
      WHERE completed_at IS NULL
        AND (enqueued_at IS NULL OR enqueued_at < UTC_TIMESTAMP() - INTERVAL ${DISPATCH_LEASE_MINUTES} MINUTE)
        AND (? IS NULL OR tenant_uuid = ?)
      ORDER BY requested_at, uuid LIMIT ?`,
    [only.tenantUuid ?? null, only.tenantUuid ?? null, limit],
  );
  return result.rows;
}

/** Claims a pending deletion for enqueueing: true for one caller per lease. */
export async function claimDispatch(db: Client, deletionId: string): Promise<boolean> {
  const result = await db.execute(
    `UPDATE deletion_audit SET enqueued_at = UTC_TIMESTAMP()
      WHERE uuid = ? AND completed_at IS NULL
        AND (enqueued_at IS NULL OR enqueued_at < UTC_TIMESTAMP() - INTERVAL ${DISPATCH_LEASE_MINUTES} MINUTE)`,
    [deletionId],
  );
  return result.rowsAffected === 1;
}

/** Undoes a claim whose job could not be enqueued, so the next scheduled run sends it. */
export async function releaseDispatch(db: Client, deletionId: string): Promise<void> {
  await db.execute('UPDATE deletion_audit SET enqueued_at = NULL WHERE uuid = ?', [deletionId]);
}

/** The session's deletions, oldest first. */
export async function sessionDeletions(
  db: Client,
  tenantUuid: string,
  sessionUuid: string,
): Promise<DeletionRow[]> {
  const result = await db.execute<DeletionRow>(
    'SELECT * FROM deletion_audit WHERE tenant_uuid = ? AND session_uuid = ? ORDER BY requested_at, scope',
    [tenantUuid, sessionUuid],
  );
  return result.rows;
}

/**
 * Records a delete job's outcome: the counts are the job's totals over all its runs, so a later report
 * replaces an earlier one; the first completion time stays. False when there is no such deletion.
 */
export async function applyDeletionReport(db: Client, report: DeletionReport): Promise<boolean> {
  const keys = [report.deletion_id, report.tenant_uuid, report.session_uuid, report.scope];
  const found = await db.execute(
    'SELECT uuid FROM deletion_audit WHERE uuid = ? AND tenant_uuid = ? AND session_uuid = ? AND scope = ?',
    keys,
  );
  if (found.rows.length === 0) return false;
  const counts = [report.objects_removed, report.bytes_removed];
  await db.execute(
    `UPDATE deletion_audit SET completed_at = COALESCE(completed_at, UTC_TIMESTAMP()), objects_removed = ?,
            bytes_removed = ?
      WHERE uuid = ? AND tenant_uuid = ? AND session_uuid = ? AND scope = ?`,
    [...counts, ...keys],
  );
  if (report.scope === 'session') {
    await db.execute(
      `UPDATE sessions SET deleted_at = COALESCE(deleted_at, UTC_TIMESTAMP()), objects_removed = ?,
              bytes_removed = ?
        WHERE tenant_uuid = ? AND uuid = ? AND status = 'deleted'`,
      [...counts, report.tenant_uuid, report.session_uuid],
    );
    // The session's integrity events go with its recording: their details are the tenant's and the
    // candidate's words about a person. Only after the objects are gone, so a second sweep finds none new.
    await db.execute(
      `DELETE e FROM integrity_events e JOIN sessions s ON s.uuid = e.session_uuid
        WHERE e.tenant_uuid = ? AND e.session_uuid = ? AND s.status = 'deleted'`,
      [report.tenant_uuid, report.session_uuid],
    );
  }
  return true;
}

/** When a deletion was asked for and what its job removed, as the API shows it. */
export function deletionOutcome(row: DeletionRow) {
  const count = (value: string | null) => (value === null ? null : Number(value));
  return {
    requested_at: isoFromDatetime(row.requested_at) ?? '',
    completed_at: isoFromDatetime(row.completed_at),
    objects_removed: count(row.objects_removed),
    bytes_removed: count(row.bytes_removed),
  };
}

/** GET /session's account of a deleted session: its whole-session deletion. */
export async function deletionSummary(db: Client, session: { tenant_uuid: string; uuid: string }) {
  const whole = (await sessionDeletions(db, session.tenant_uuid, session.uuid)).find(
    (deletion) => deletion.scope === 'session',
  );
  return whole ? deletionOutcome(whole) : null;
}
