import { describe, expect, it } from 'vitest';
import { MISSING_SEQS_LISTED, missingSeqs } from '../../transcoder/jobs/finalize/manifest.ts';

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
