/** What a session's `raw/` folders hold: the chunks its timeline is built from. */
import { ASSETS, type Asset, parseChunkKey, rawPrefix } from '../../contracts/storage.ts';
import type { RawChunk } from '../processing/chunk.ts';
import type { Storage } from './s3.ts';

/** A chunk key of the session split into its parts; `null` when the key is not one of its chunks. */
export function rawChunkOf(
  key: string,
  tenant: string,
  session: string,
): (RawChunk & { asset: Asset }) | null {
  const parsed = parseChunkKey(key, tenant, session);
  if (!parsed) return null;
  return {
    asset: parsed.asset,
    key,
    fileName: key.slice(rawPrefix(tenant, session, parsed.asset).length),
    seq: parsed.seq,
    startMs: parsed.startMs,
    durationMs: parsed.durationMs,
    ext: parsed.ext,
  };
}

/** A session's chunks per asset, and any object in `raw/` that does not follow the chunk naming. */
export interface RawListing {
  chunks: Record<Asset, RawChunk[]>;
  ignored: string[];
}

/** Lists every asset's `raw/` (one listing each, so processed outputs are never paged through). */
export async function listRaw(
  storage: Storage,
  tenant: string,
  session: string,
  signal: AbortSignal,
): Promise<RawListing> {
  const listing: RawListing = { chunks: { screenshare: [], webcam: [], screenshots: [] }, ignored: [] };
  for (const asset of ASSETS) {
    for (const object of await storage.list(rawPrefix(tenant, session, asset), signal)) {
      const chunk = rawChunkOf(object.key, tenant, session);
      if (chunk?.asset === asset) listing.chunks[asset].push(chunk);
      else listing.ignored.push(object.key);
    }
  }
  return listing;
}
