/**
 * Evidence clips from the player: mark in and out (buttons, I and O) or pick an event (±30 s around it),
 * ask the Worker for the clip under the playback token (`POST …/clips`) and show the download link once
 * the transcoder has cut it (`GET …/clips/<clip_id>`, polled). Only for a processed HLS recording: clips
 * are cut from its segments. The range math is pure; `ClipControls` drives the buttons.
 */
import type { ClipAccepted, ClipStatus } from '../contracts/clips.ts';
import { formatOffset } from './format.ts';
import type { SessionSource } from './source.ts';
import type { Marker, PlayerEvent } from './timeline-geometry.ts';
import type { View } from './view.ts';

/** How far before and after an event its clip reaches. */
export const EVENT_CLIP_MARGIN_MS = 30_000;
const POLL_MS = 1000;

/** A range of the recording in server time (Unix ms), as the API takes it. */
export interface ClipRange {
  start_ms: number;
  end_ms: number;
}

/** The recording's span in server time. */
export interface RecordingSpan {
  startMs: number;
  endMs: number;
}

const clamp = (ms: number, span: RecordingSpan) =>
  Math.round(Math.min(Math.max(ms, span.startMs), span.endMs));

/** ±30 s around an event, kept inside the recording; null when nothing of it is left. Pure. */
export function eventClipRange(eventMs: number, span: RecordingSpan): ClipRange | null {
  const range = {
    start_ms: clamp(eventMs - EVENT_CLIP_MARGIN_MS, span),
    end_ms: clamp(eventMs + EVENT_CLIP_MARGIN_MS, span),
  };
  return range.end_ms > range.start_ms ? range : null;
}

/**
 * The range between two marks (seconds from the recording's start), in whichever order they were set,
 * kept inside the recording; null while a mark is missing or both are at the same place. Pure.
 */
export function markedClipRange(
  marks: { in: number | null; out: number | null },
  span: RecordingSpan,
): ClipRange | null {
  if (marks.in === null || marks.out === null) return null;
  const [a, b] = [marks.in, marks.out].map((sec) => clamp(span.startMs + sec * 1000, span));
  const range = { start_ms: Math.min(a ?? 0, b ?? 0), end_ms: Math.max(a ?? 0, b ?? 0) };
  return range.end_ms > range.start_ms ? range : null;
}

/** What the clip controls read from the element. */
export interface ClipHost {
  /** What the player plays, and its playback root. */
  source(): (Pick<SessionSource, 'live' | 'type' | 'startMs' | 'duration'> & { root: string }) | null;
  /** Seconds from the recording's start. */
  position(): number;
  /** The timeline's markers, whose clicks pick an event. */
  markers(): readonly Marker[];
}

async function json<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}

/** The playback root when the recording can be clipped: processed, HLS (clips are cut from its segments). */
function clippable(source: ReturnType<ClipHost['source']>): string | null {
  return source && !source.live && source.type === 'hls_masterplaylist' ? source.root : null;
}

/** The recording's span in server time, once known. */
function spanOf(source: ReturnType<ClipHost['source']>): RecordingSpan | null {
  return source?.startMs != null && source.duration !== null
    ? { startMs: source.startMs, endMs: source.startMs + source.duration * 1000 }
    : null;
}

/** The clip row under the controls: marks, the two clip buttons, the state and the download link. */
export class ClipControls {
  marks: { in: number | null; out: number | null } = { in: null, out: null };
  /** The last clip's status, for pages and tests. */
  status: ClipStatus | null = null;
  /** The event last picked (marker clicked, previous/next): what "Clip <type> ±30 s" clips. */
  picked: PlayerEvent | null = null;
  private asked = 0;

  private readonly view: View;
  private readonly host: ClipHost;

  constructor(view: View, host: ClipHost) {
    this.view = view;
    this.host = host;
    view.markers.addEventListener('click', (e) => {
      const index = (e.target as HTMLElement).closest('.marker')?.getAttribute('data-index');
      this.picked = host.markers()[Number(index)]?.event ?? this.picked;
    });
    view.clips.addEventListener('click', (e) => {
      const action = (e.target as HTMLElement).closest('button')?.dataset.action;
      if (action === 'mark-in' || action === 'mark-out') this.mark(action);
      else if (action === 'clip-range') void this.clip(this.range());
      else if (action === 'clip-event') void this.clip(this.eventRange());
    });
  }

  /** Shows the controls when the recording can be clipped, and enables what can be asked for now. */
  update(): void {
    const span = spanOf(this.host.source());
    const view = this.view;
    view.clips.hidden = clippable(this.host.source()) === null || span === null;
    view.clipRange.disabled = this.range() === null;
    view.clipEvent.disabled = this.eventRange() === null;
    const event = this.picked;
    view.clipEvent.textContent = event ? `Clip ${event.type} ±30 s` : 'Clip event ±30 s';
    const duration = span ? (span.endMs - span.startMs) / 1000 : 0;
    const marked = this.marks;
    view.marked.hidden = marked.in === null;
    if (marked.in !== null && duration > 0) {
      const from = Math.min(marked.in, marked.out ?? marked.in);
      const to = Math.max(marked.in, marked.out ?? marked.in);
      view.marked.style.left = `${((from / duration) * 100).toFixed(4)}%`;
      view.marked.style.width = `${(((to - from) / duration) * 100).toFixed(4)}%`;
    }
    view.markText.textContent =
      marked.in === null
        ? ''
        : `${formatOffset(marked.in)} – ${marked.out === null ? '…' : formatOffset(marked.out)}`;
  }

  /** Sets the in or out mark at the current position. */
  mark(which: 'mark-in' | 'mark-out'): void {
    if (clippable(this.host.source()) === null) return;
    this.marks = { ...this.marks, [which === 'mark-in' ? 'in' : 'out']: this.host.position() };
    this.update();
  }

  range(): ClipRange | null {
    const span = spanOf(this.host.source());
    return span ? markedClipRange(this.marks, span) : null;
  }

  eventRange(): ClipRange | null {
    const span = spanOf(this.host.source());
    const event = this.picked;
    return span && event ? eventClipRange(event.occurred_at_ms, span) : null;
  }

  /** Asks for the clip of `range` and follows it until it is ready or failed; a newer ask replaces it. */
  async clip(range: ClipRange | null): Promise<void> {
    const root = clippable(this.host.source());
    if (!range || !root) return;
    const ask = ++this.asked;
    const { link, clipState } = this.view;
    link.hidden = true;
    clipState.textContent = 'Cutting the clip…';
    try {
      const accepted = await json<ClipAccepted>(
        await fetch(`${root}/clips`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(range),
        }),
      );
      for (;;) {
        const status = await json<ClipStatus>(await fetch(accepted.status_url, { cache: 'no-store' }));
        if (ask !== this.asked) return;
        this.status = status;
        if (status.status === 'ready' && status.url) {
          link.href = status.url;
          link.textContent = `Download clip (${formatOffset((range.end_ms - range.start_ms) / 1000)})`;
          link.hidden = false;
          clipState.textContent = 'Clip ready.';
          return;
        }
        if (status.status === 'failed') throw new Error(status.reason ?? 'the clip could not be cut');
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      if (ask === this.asked) clipState.textContent = `No clip: ${(error as Error).message}`;
    }
  }
}
