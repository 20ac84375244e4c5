/** What a session's `raw/` folders hold: the chunks its timeline is built from. */
import { ASSETS, type Asset, parseChunkKey, type RawChunk, rawPrefix } from '../../contracts/storage.ts';
import type { SessionRef } from './layout.ts';
import type { Storage } from './s3.ts';

/** A session's chunks per asset, and any object in `raw/` that does not follow the chunk naming. */
export interface RawListing {
  chunks: Record<Asset, RawChunk[]>;
  ignored: string[];
}

/** Lists every asset's `raw/` (one listing each, so processed outputs are never paged through). */
export async function listRaw(
  storage: Storage,
  session: SessionRef,
  signal: AbortSignal,
): Promise<RawListing> {
  const { tenantId, sessionId } = session;
  const listing: RawListing = { chunks: { screenshare: [], webcam: [], screenshots: [] }, ignored: [] };
  for (const asset of ASSETS) {
    for (const object of await storage.list(rawPrefix(tenantId, sessionId, asset), signal)) {
      const chunk = parseChunkKey(object.key, tenantId, sessionId);
      if (chunk?.asset === asset) listing.chunks[asset].push(chunk);
      else listing.ignored.push(object.key);
    }
  }
  return listing;
}
