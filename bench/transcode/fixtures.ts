/**
 * The benchmark's input: a 10-minute 1080p screen-like VFR session of 120 VP8 chunks of 5 s, generated
 * once into `.local/bench/transcode/` and reused by later runs.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeChunk } from '../../test/support/chunks.ts';
import { mapLimit } from '../../transcoder/parallel.ts';

export const CACHE = join(import.meta.dirname, '../../.local/bench/transcode');
export const T0 = 1_764_158_400_000;
export const CHUNKS = 120;
const CHUNK_MS = 5000;

export interface GeneratedChunk {
  seq: number;
  startMs: number;
  durationMs: number;
  file: string;
}

/** A seeded generator, so the cached session and the synthesized one never change between runs. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

/** The 10-minute session: chunks start 13–46 ms after the previous one ends, and end idle 0–1.2 s early. */
export async function generateSession(): Promise<GeneratedChunk[]> {
  const dir = join(CACHE, 'session-10min');
  await mkdir(dir, { recursive: true });
  const random = seeded(7);
  let startMs = T0;
  const plan = Array.from({ length: CHUNKS }, (_, seq) => {
    const chunk = { seq, startMs, durationMs: CHUNK_MS, contentSec: 3.8 + random() * 1.2 };
    startMs += CHUNK_MS + 13 + Math.floor(random() * 34);
    return chunk;
  });
  const missing = plan.filter((c) => !existsSync(join(dir, `${c.seq}.webm`)));
  if (missing.length > 0)
    console.error(`generating ${missing.length} chunks of 1080p VFR VP8 into ${dir} (once)…`);
  await mapLimit(missing, 2, (c) =>
    makeChunk(dir, {
      name: `${c.seq}.webm`,
      codec: 'vp8',
      width: 1920,
      height: 1080,
      durationSec: c.durationMs / 1000,
      contentSec: c.contentSec,
      fps: 15,
      vfr: true,
    }),
  );
  return plan.map((c) => ({
    seq: c.seq,
    startMs: c.startMs,
    durationMs: c.durationMs,
    file: join(dir, `${c.seq}.webm`),
  }));
}
