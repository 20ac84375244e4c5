/**
 * The storyboard the transcoder writes: a WebVTT file whose cues name a tile of a sprite sheet with a
 * media fragment (`sheet_0.jpg#xywh=x,y,w,h`, W3C Media Fragments URI 1.0 §4.2.1). Pure.
 */

export interface Tile {
  start: number;
  end: number;
  /** The sheet's file name, relative to the VTT file. */
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** `HH:MM:SS.mmm` or `MM:SS.mmm` in seconds (WebVTT timestamps). */
function seconds(stamp: string): number {
  const parts = stamp.trim().split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The tiles of a storyboard, in time order; cues that name no tile are skipped. */
export function parseStoryboard(vtt: string): Tile[] {
  const tiles: Tile[] = [];
  const lines = vtt.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const timing = /^(\S+)\s+-->\s+(\S+)/.exec(lines[i] ?? '');
    const target = /^([^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec((lines[i + 1] ?? '').trim());
    if (!timing || !target) continue;
    tiles.push({
      start: seconds(timing[1] ?? ''),
      end: seconds(timing[2] ?? ''),
      sheet: target[1] ?? '',
      x: Number(target[2]),
      y: Number(target[3]),
      w: Number(target[4]),
      h: Number(target[5]),
    });
  }
  return tiles.sort((a, b) => a.start - b.start);
}

/** The last tile starting at or before `time`, or null before the first. */
export function tileAt(tiles: readonly Tile[], time: number): Tile | null {
  const index = lastAtOrBefore(tiles.length, (i) => tiles[i]?.start ?? 0, time);
  return index < 0 ? null : (tiles[index] ?? null);
}

/** Binary search: the last index whose value is ≤ `target` in an ascending sequence, or -1. */
export function lastAtOrBefore(length: number, valueAt: (index: number) => number, target: number): number {
  let low = 0;
  let high = length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (valueAt(mid) <= target) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}
