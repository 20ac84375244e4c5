/** Retention computation, deletion scopes and the S3 lifecycle rules built from tenant config. */
import { describe, expect, it } from 'vitest';
import {
  deletionMarkerKey,
  inDeletionScope,
  lifecycleRules,
  retentionCutoffs,
  retentionOf,
  TenantRetention,
} from '../../contracts/deletion.ts';
import { sessionPrefix } from '../../contracts/storage.ts';

const TENANT = '11111111-1111-4111-8111-111111111111';
const SESSION = '22222222-2222-4222-8222-222222222222';
const DAY = 86_400_000;

describe('retention', () => {
  it('defaults every field and refuses raw or reports kept longer than the session', () => {
    expect(retentionOf({})).toEqual({
      raw_days: 30,
      processed_days: 365,
      reports_days: 365,
      archive_after_days: 90,
    });
    expect(retentionOf({ retention: { raw_days: 2 } }).raw_days).toBe(2);
    expect(TenantRetention.safeParse({ raw_days: 400 }).success).toBe(false);
    expect(TenantRetention.safeParse({ reports_days: 10, processed_days: 5, raw_days: 1 }).success).toBe(
      false,
    );
    expect(TenantRetention.safeParse({ archive_after_days: null }).success).toBe(true);
    expect(TenantRetention.safeParse({ retain: 1 }).success).toBe(false);
  });

  it('puts each cutoff its days before now', () => {
    const now = new Date('2026-06-30T12:00:00Z');
    const cutoffs = retentionCutoffs(
      retentionOf({ retention: { raw_days: 1, processed_days: 10, reports_days: 0 } }),
      now,
    );
    expect(cutoffs.raw.toISOString()).toBe(new Date(now.getTime() - DAY).toISOString());
    expect(cutoffs.session.toISOString()).toBe(new Date(now.getTime() - 10 * DAY).toISOString());
    expect(cutoffs.reports).toEqual(now);
  });
});

describe('deletion scopes', () => {
  const prefix = sessionPrefix(TENANT, SESSION);
  it('raw takes only <asset>/raw/, reports only reports/, session everything of the session', () => {
    const keys = {
      raw: `${prefix}screenshare/raw/000001-1-2.webm`,
      processed: `${prefix}screenshare/processed/hls_playlist/master.m3u8`,
      reports: `${prefix}reports/webcam_analysis/a.json`,
      other: `${sessionPrefix(TENANT, 'x')}screenshare/raw/000001-1-2.webm`,
    };
    const taken = (scope: 'session' | 'raw' | 'reports') =>
      Object.entries(keys)
        .filter(([, key]) => inDeletionScope(key, prefix, scope))
        .map(([name]) => name);
    expect(taken('raw')).toEqual(['raw']);
    expect(taken('reports')).toEqual(['reports']);
    expect(taken('session')).toEqual(['raw', 'processed', 'reports']);
  });

  it('keeps the marker outside the session prefix', () => {
    const marker = deletionMarkerKey(TENANT, SESSION, 'session');
    expect(marker).toBe(`proctor/ies/${TENANT}/_deleted/${SESSION}/session.json`);
    expect(marker.startsWith(sessionPrefix(TENANT, SESSION))).toBe(false);
  });
});

describe('lifecycle rules', () => {
  it('archives each tenant’s prefix after its days, expires markers, and is sorted by tenant', () => {
    const rules = lifecycleRules([
      { uuid: 'b', config: { retention: { archive_after_days: 30 } } },
      { uuid: 'a', config: null },
      { uuid: 'c', config: { retention: { archive_after_days: null } } },
    ]);
    expect(rules.map((rule) => rule.Id)).toEqual([
      'ies-abort-incomplete-multipart-uploads',
      'ies-a-archive',
      'ies-a-deletion-markers',
      'ies-b-archive',
      'ies-b-deletion-markers',
      'ies-c-deletion-markers',
    ]);
    expect(rules[3]).toEqual({
      Id: 'ies-b-archive',
      Status: 'Enabled',
      Prefix: 'proctor/ies/b/',
      ObjectSizeGreaterThan: '131072',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
    });
    expect(rules[2]).toMatchObject({ Prefix: 'proctor/ies/a/_deleted/', ExpirationInDays: 30 });
  });

  it('has no archive rule when the session is erased first, and refuses more than a bucket holds', () => {
    const rules = lifecycleRules([
      { uuid: 'a', config: { retention: { processed_days: 60, reports_days: 60, archive_after_days: 90 } } },
    ]);
    expect(rules.some((rule) => rule.Id === 'ies-a-archive')).toBe(false);
    const many = Array.from({ length: 600 }, (_, i) => ({ uuid: String(i).padStart(4, '0'), config: {} }));
    expect(() => lifecycleRules(many)).toThrow(/at most 1000/);
  });
});
