/**
 * Where things sit on the timeline: events, gaps and analysis frames placed by server time against the
 * session's start. Pure; positions are fractions of the duration, times seconds from the start.
 */
import { lastAtOrBefore } from './storyboard.ts';

export interface PlayerEvent {
  event_id: string;
  type: string;
  source: string;
  severity: 'info' | 'warning' | 'critical';
  occurred_at_ms: number;
  details: Record<string, unknown>;
}

export interface Marker {
  event: PlayerEvent;
  /** Seconds from the session's start. */
  time: number;
  /** 0 … 1 along the timeline. */
  fraction: number;
}

export interface Band {
  start: number;
  end: number;
  fraction: number;
  width: number;
}

const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);

/** A time as a fraction of the timeline (0 when the duration is not known yet). */
export function fractionOf(time: number, duration: number): number {
  return duration > 0 ? clamp01(time / duration) : 0;
}

/** The time at a fraction of the timeline. */
export function timeAt(fraction: number, duration: number): number {
  return clamp01(fraction) * Math.max(duration, 0);
}

/** Markers of the events inside the timeline, in time order. */
export function markersOf(events: readonly PlayerEvent[], startMs: number, duration: number): Marker[] {
  return events
    .map((event) => ({ event, time: (event.occurred_at_ms - startMs) / 1000 }))
    .filter((m) => m.time >= 0 && m.time <= duration)
    .sort((a, b) => a.time - b.time)
    .map((m) => ({ ...m, fraction: fractionOf(m.time, duration) }));
}

/** Spans of playlist time (s from `startMs`) as server-time spans, as the manifest gives gaps. */
export function serverSpans(spans: readonly { start: number; end: number }[], startMs: number) {
  return spans.map((span) => ({ start_ms: startMs + span.start * 1000, end_ms: startMs + span.end * 1000 }));
}

/** Gaps (server-time spans) as shaded bands of the timeline. */
export function bandsOf(
  gaps: readonly { start_ms: number; end_ms: number }[],
  startMs: number,
  duration: number,
): Band[] {
  return gaps.map((gap) => {
    const start = Math.max(0, (gap.start_ms - startMs) / 1000);
    const end = Math.min(duration, (gap.end_ms - startMs) / 1000);
    return {
      start,
      end,
      fraction: fractionOf(start, duration),
      width: fractionOf(end, duration) - fractionOf(start, duration),
    };
  });
}

/**
 * Events closer than this behind the position count as the current one, so "previous" moves on from an
 * event just jumped to instead of returning to it.
 */
const SAME_EVENT_SEC = 1;

/** The marker before the position (skipping one just jumped to), or null. */
export function previousMarker(markers: readonly Marker[], position: number): Marker | null {
  return markers.findLast((m) => m.time < position - SAME_EVENT_SEC) ?? null;
}

/** The marker after the position, or null. */
export function nextMarker(markers: readonly Marker[], position: number): Marker | null {
  return markers.find((m) => m.time > position + 0.05) ?? null;
}

/** A chunk as its segment or object name tells: `<seq>-<start_ms>-<duration_ms>`. */
export interface ChunkSpan {
  startMs: number;
  durationMs: number;
}

/** The span of a chunk from a segment URI such as `360p/000042-1764158400123-5012.ts` (a cut too). */
export function chunkOfSegment(uri: string): ChunkSpan | null {
  const match = /(?:^|\/)\d{6}-(\d{10,16})-(\d{1,9})(?:-cut\d+)?\.ts(?:\?|$)/.exec(uri);
  return match ? { startMs: Number(match[1]), durationMs: Number(match[2]) } : null;
}

/**
 * The server times of a session's analysis frames: a chunk job names them `<chunk start + k × 1000>.jpg`
 * for each second of the chunk's span (transcoder `frameOffsetMs`, 1 fps). Sorted, without repeats.
 */
export function frameTimes(chunks: readonly ChunkSpan[], fps = 1): number[] {
  const times = new Set<number>();
  for (const chunk of chunks) {
    for (let k = 0; (k * 1000) / fps < chunk.durationMs; k++) {
      times.add(chunk.startMs + Math.round((k * 1000) / fps));
    }
  }
  return [...times].sort((a, b) => a - b);
}

/** The frame showing server time `ms`: the last one taken at or before it, else null. */
export function frameAt(times: readonly number[], ms: number): number | null {
  const index = lastAtOrBefore(times.length, (i) => times[i] ?? 0, ms);
  return index < 0 ? null : (times[index] ?? null);
}
