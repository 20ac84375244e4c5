import { describe, expect, it } from 'vitest';
import {
  MISSING_SEQS_LISTED,
  missingSeqs,
  type SessionPackage,
} from '../../transcoder/jobs/finalize/manifest.ts';
import {
  type DerivedFiles,
  manifestWith,
  startProgress,
  wasAnnounced,
} from '../../transcoder/jobs/finalize/progress.ts';

const chunks = (...seqs: number[]) => seqs.map((seq) => ({ seq }));

describe('missing seqs in the manifest', () => {
  it('lists the seqs below the highest that no chunk has, duplicates counted once', () => {
    expect(missingSeqs(chunks(0, 1, 3, 3, 6))).toEqual({ missing_seqs: [2, 4, 5], missing_seq_count: 3 });
    expect(missingSeqs(chunks(2))).toEqual({ missing_seqs: [0, 1], missing_seq_count: 2 });
    expect(missingSeqs([])).toEqual({ missing_seqs: [], missing_seq_count: 0 });
  });

  it('lists at most the limit for a hostile seq at the top of the range, and counts the rest', () => {
    const result = missingSeqs(chunks(0, 1, 999_999));
    expect(result.missing_seqs).toHaveLength(MISSING_SEQS_LISTED);
    expect(result.missing_seqs[0]).toBe(2);
    expect(result.missing_seqs.at(-1)).toBe(MISSING_SEQS_LISTED + 1);
    expect(result.missing_seq_count).toBe(999_997);
  });
});

describe('the progress of a package after ready', () => {
  // A package as `sessionManifest` makes it, reduced to what progress reads and compares.
  const pkg = {
    version: 1,
    tenant_uuid: 't',
    session_uuid: 's',
    timeline: { start_ms: 0, end_ms: 10_000, duration_ms: 10_000 },
    playback: { type: 'hls_masterplaylist', key: 'k' },
    assets: { screenshare: { status: 'ready', duration_ms: 10_000 }, webcam: { status: 'no_video' } },
    ignored_keys: [],
  } as unknown as SessionPackage;
  const storyboard: DerivedFiles['storyboard'] = {
    status: 'available',
    vtt: 'v.vtt',
    sheets: ['sheet_0.jpg'],
  };
  const stitched: DerivedFiles['stitched_video'] = { status: 'failed', reason: 'ffmpeg' };
  const earlier = (of: SessionPackage) => {
    const progress = {
      derived: { screenshare: { storyboard, stitched_video: stitched } },
      announced: [{ type: 'session.processed' as const }],
    };
    // As read back: JSON, written by an earlier run.
    return JSON.parse(JSON.stringify(manifestWith(of, progress)));
  };

  it('starts with everything pending and nothing announced', () => {
    expect(startProgress(pkg, ['screenshare'], null, false)).toEqual({
      derived: { screenshare: { storyboard: { status: 'pending' }, stitched_video: { status: 'pending' } } },
      announced: [],
    });
  });

  it('keeps what an earlier run of the same package made and announced, and tries again what failed', () => {
    const progress = startProgress(pkg, ['screenshare'], earlier(pkg), false);
    expect(progress.derived.screenshare).toEqual({ storyboard, stitched_video: { status: 'pending' } });
    expect(wasAnnounced(progress, { type: 'session.processed' })).toBe(true);
    expect(wasAnnounced(progress, { type: 'storyboard.available', asset: 'screenshare' })).toBe(false);
  });

  it('starts over for another package, and on reprocess', () => {
    const longer = { ...pkg, timeline: { ...pkg.timeline, end_ms: 12_000 } };
    const fresh = startProgress(pkg, ['screenshare'], null, false);
    expect(startProgress(pkg, ['screenshare'], earlier(longer), false)).toEqual(fresh);
    expect(startProgress(pkg, ['screenshare'], earlier(pkg), true)).toEqual(fresh);
    expect(startProgress(pkg, ['screenshare'], { something: 'else' }, false)).toEqual(fresh);
  });

  it('writes each video asset with its derived files, and the announcements, beside the package', () => {
    const written = earlier(pkg);
    expect(written.assets.screenshare).toEqual({
      status: 'ready',
      duration_ms: 10_000,
      storyboard,
      stitched_video: stitched,
    });
    expect(written.assets.webcam).toEqual({ status: 'no_video' });
    expect(written.announced).toEqual([{ type: 'session.processed' }]);
  });
});
