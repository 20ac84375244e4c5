/**
 * What the recorder tells the host page: its state and upload progress, and the integrity signals a
 * proctor cares about. A small typed emitter, so host pages get autocompletion and no framework.
 */
import type { Asset } from '../contracts/storage.ts';

export type RecorderState = 'idle' | 'starting' | 'recording' | 'stopping' | 'stopped' | 'failed';

/** Counters of one recorder, as `stats()` returns them. */
export interface RecorderStats {
  state: RecorderState;
  /** Chunks recorded and not yet both in S3 and announced. */
  pending: number;
  bytesUploaded: number;
  recorded: Record<Asset, number>;
  uploaded: Record<Asset, number>;
  lastError: string | null;
  /** server − browser monotonic clock, ms; null before the first clock exchange answered. */
  clockOffsetMs: number | null;
  clockRttMs: number | null;
}

/** What `stop()` resolves with. */
export interface RecorderSummary {
  /** Chunks recorded per asset in this page's recording. */
  chunks: Record<Asset, number>;
  /** Chunks uploaded and announced per asset (including ones a reload left queued). */
  uploaded: Record<Asset, number>;
  bytes: number;
  /** Chunks still queued when the flush gave up (offline, or the deadline passed). */
  pending: number;
}

interface ChunkInfo {
  asset: Asset;
  seq: number;
  name: string;
  bytes: number;
}

/** Every event and its payload. */
export interface RecorderEvents {
  state: { state: RecorderState };
  /** The queue changed: chunks pending and bytes uploaded so far. */
  queue: { pending: number; bytesUploaded: number };
  /** A chunk was recorded and queued. */
  chunk: ChunkInfo;
  /** A chunk is in S3 and the service accepted its notice. */
  uploaded: ChunkInfo;
  error: { message: string };
  clock: { offsetMs: number; rttMs: number };
  /** The candidate stopped sharing the screen (the captured track ended). */
  share_stopped: Record<string, never>;
  /** The shared surface is a window or a tab, not a whole monitor. */
  surface_not_monitor: { surface: string };
  page_hidden: Record<string, never>;
  page_visible: Record<string, never>;
  /** A webcam or microphone track ended or went mute. */
  webcam_lost: { kind: string; reason: 'ended' | 'mute' };
  recorder_error: { asset: Asset; message: string };
  recorder_restarted: { asset: Asset };
  /** More chunks wait for upload than the backlog threshold. */
  backlog: { pending: number };
  /** The browser refused to store a chunk; it is kept in memory and uploaded from there. */
  storage_full: { asset: Asset; seq: number };
}

export type RecorderEventName = keyof RecorderEvents;

/** Every event name (a record, so the compiler notices a name missing), for hosts that log them all. */
const EVENT_NAMES: Record<RecorderEventName, true> = {
  state: true,
  queue: true,
  chunk: true,
  uploaded: true,
  error: true,
  clock: true,
  share_stopped: true,
  surface_not_monitor: true,
  page_hidden: true,
  page_visible: true,
  webcam_lost: true,
  recorder_error: true,
  recorder_restarted: true,
  backlog: true,
  storage_full: true,
};
export const RECORDER_EVENTS = Object.keys(EVENT_NAMES) as RecorderEventName[];
export type Emit = <E extends RecorderEventName>(event: E, payload: RecorderEvents[E]) => void;

/** A listener registry: `on` returns the function that removes the listener. */
export class Emitter {
  private readonly listeners = new Map<RecorderEventName, Set<(payload: never) => void>>();

  on<E extends RecorderEventName>(event: E, listener: (payload: RecorderEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  readonly emit: Emit = (event, payload) => {
    for (const listener of this.listeners.get(event) ?? []) {
      // A host page's listener that throws must not stop the recording.
      try {
        (listener as (payload: unknown) => void)(payload);
      } catch (error) {
        console.error(error);
      }
    }
  };
}
