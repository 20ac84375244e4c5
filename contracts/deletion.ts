/**
 * Erasure and retention, shared by the Worker (requests, the scheduled run, tenant config), the transcoder
 * (delete jobs) and the operator CLI (S3 lifecycle rules). Pure: time is passed in.
 */
import { z } from 'zod';
import { sessionPrefix } from './storage.ts';

/**
 * What a delete job removes: every object of the session (erasure, or processed retention), its raw chunks
 * (`<asset>/raw/`, once the session is ready and raw retention passed) or its reports (`reports/`).
 */
export const DELETION_SCOPES = ['session', 'raw', 'reports'] as const;
export type DeletionScope = (typeof DELETION_SCOPES)[number];

/** Why a deletion was made: a tenant's request, an operator erasing the tenant, or retention. */
export const DELETION_REASONS = ['request', 'tenant_erasure', 'retention'] as const;
export type DeletionReason = (typeof DELETION_REASONS)[number];

/** Whether the object `key` of the session at `prefix` is one a deletion of `scope` removes. */
export function inDeletionScope(key: string, prefix: string, scope: DeletionScope): boolean {
  if (!key.startsWith(prefix)) return false;
  const rest = key.slice(prefix.length);
  if (scope === 'raw') return /^[^/]+\/raw\//.test(rest);
  if (scope === 'reports') return rest.startsWith('reports/');
  return true;
}

/**
 * Where a delete job keeps its progress and, for a whole session, the marker that chunk and finalize jobs
 * check before and after they write: `proctor/ies/<tenant>/_deleted/<session>/<scope>.json`. Outside the
 * session's prefix, so a listing of that prefix is empty once the session is erased.
 */
export function deletionMarkerKey(tenantUuid: string, sessionUuid: string, scope: DeletionScope): string {
  return `${sessionPrefix(tenantUuid, '_deleted')}${sessionUuid}/${scope}.json`;
}

/** A delete job's progress, kept in its marker so a rerun counts on from where a failed run stopped. */
export const DeletionProgress = z.object({
  deletion_id: z.uuid(),
  objects_removed: z.int().min(0),
  bytes_removed: z.int().min(0),
});
export type DeletionProgress = z.infer<typeof DeletionProgress>;

const Days = z.int().min(0).max(36_500);

/**
 * A tenant's retention, `tenants.config.retention`, in days since the session was created. Every field is
 * optional; the defaults are below. Reports and raw chunks live under the session's prefix, so neither can
 * outlive the session's processed outputs.
 */
export const TenantRetention = z
  .strictObject({
    /** Raw chunks, removed once the session is ready and this many days passed. */
    raw_days: Days.default(30),
    /** The whole session (processed outputs, and everything else of it): erased after this many days. */
    processed_days: Days.min(1).default(365),
    /** Reports (`reports/`), removed after this many days. */
    reports_days: Days.default(365),
    /** Objects larger than 128 KiB move to S3 Glacier Instant Retrieval after this many days; null never. */
    archive_after_days: Days.min(1).nullable().default(90),
  })
  .refine((r) => r.raw_days <= r.processed_days, {
    message: 'raw_days must not exceed processed_days: raw chunks are erased with the session',
    path: ['raw_days'],
  })
  .refine((r) => r.reports_days <= r.processed_days, {
    message: 'reports_days must not exceed processed_days: reports are erased with the session',
    path: ['reports_days'],
  });
export type TenantRetention = z.infer<typeof TenantRetention>;

/** The retention of a tenant whose config is `config` (already validated when it was stored). */
export function retentionOf(config: Record<string, unknown> | null | undefined): TenantRetention {
  const parsed = TenantRetention.safeParse(config?.retention ?? {});
  return parsed.success ? parsed.data : TenantRetention.parse({});
}

/** Sessions created before each cutoff are past that retention at `now`. */
export function retentionCutoffs(retention: TenantRetention, now: Date): Record<DeletionScope, Date> {
  const before = (days: number) => new Date(now.getTime() - days * 86_400_000);
  return {
    session: before(retention.processed_days),
    raw: before(retention.raw_days),
    reports: before(retention.reports_days),
  };
}

/**
 * S3 Glacier Instant Retrieval bills every object as at least 128 KiB, so smaller ones (frames, thumbnails,
 * playlists) would cost more archived than kept
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html).
 */
const ARCHIVE_MIN_BYTES = 128 * 1024;
/** Markers guard against jobs still queued; SQS keeps a message at most 14 days. */
const MARKER_DAYS = 30;
/** A bucket holds at most 1000 lifecycle rules. */
const MAX_RULES = 1000;

/** One rule of CloudFormation's `AWS::S3::Bucket` `LifecycleConfiguration.Rules`. */
export interface LifecycleRule {
  Id: string;
  Status: 'Enabled';
  Prefix: string;
  ObjectSizeGreaterThan?: string;
  Transitions?: Array<{ StorageClass: 'GLACIER_IR'; TransitionInDays: number }>;
  ExpirationInDays?: number;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}

/**
 * The bucket's lifecycle rules for these tenants, in CloudFormation's `LifecycleConfiguration.Rules` shape:
 * per tenant, archival of its objects after `archive_after_days` (when that comes before the session is
 * erased) and expiry of its deletion markers; and one rule for the bucket that drops unfinished multipart
 * uploads. Deletions themselves are the service's (the database knows what a session is); lifecycle rules
 * only move storage class. Sorted by tenant, so the file changes only where a tenant's config did.
 */
export function lifecycleRules(
  tenants: ReadonlyArray<{ uuid: string; config: Record<string, unknown> | null }>,
): LifecycleRule[] {
  const rules: LifecycleRule[] = [
    {
      Id: 'ies-abort-incomplete-multipart-uploads',
      Status: 'Enabled',
      Prefix: 'proctor/ies/',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    },
  ];
  for (const tenant of [...tenants].sort((a, b) => a.uuid.localeCompare(b.uuid))) {
    const retention = retentionOf(tenant.config);
    const archiveDays = retention.archive_after_days;
    if (archiveDays !== null && archiveDays < retention.processed_days) {
      rules.push({
        Id: `ies-${tenant.uuid}-archive`,
        Status: 'Enabled',
        Prefix: `proctor/ies/${tenant.uuid}/`,
        ObjectSizeGreaterThan: String(ARCHIVE_MIN_BYTES),
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: archiveDays }],
      });
    }
    rules.push({
      Id: `ies-${tenant.uuid}-deletion-markers`,
      Status: 'Enabled',
      Prefix: sessionPrefix(tenant.uuid, '_deleted'),
      ExpirationInDays: MARKER_DAYS,
    });
  }
  if (rules.length > MAX_RULES) {
    throw new Error(`${rules.length} lifecycle rules: a bucket holds at most ${MAX_RULES}`);
  }
  return rules;
}
