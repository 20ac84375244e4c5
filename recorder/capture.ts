/**
 * Capture and self-contained chunks. A MediaRecorder's timeslice pieces do not decode alone: only the
 * first carries the container header (WebM's EBML header and Tracks, fragmented MP4's moov box), and
 * ffmpeg refuses the later ones ("EBML header parsing failed"). So each chunk gets a MediaRecorder of its
 * own on the same stream. The next recorder starts before the
 * current one stops, so consecutive chunks overlap by a few milliseconds instead of leaving a hole.
 */
import type { UploadContentType, VideoAsset } from '../contracts/storage.ts';
import { monotonicNow } from './clock.ts';
import type { Emit } from './events.ts';

/** H.264 first, which most machines encode in hardware; VP9 and VP8, software-encoded, as fallbacks. */
const VIDEO_TYPES = [
  'video/mp4;codecs=avc1',
  'video/webm;codecs=h264',
  'video/webm;codecs=vp9',
  'video/webm;codecs=vp8',
];

/**
 * Bits per second. Screen content is mostly still text, so 1.5 Mb/s keeps 1080p text sharp; a webcam
 * needs only a recognisable face.
 */
const BITRATES: Record<VideoAsset, { video: number; audio: number }> = {
  screenshare: { video: 1_500_000, audio: 64_000 },
  webcam: { video: 500_000, audio: 48_000 },
};

/** The first of the preferred types this browser records, or undefined when it records none. */
export function pickVideoType(isSupported: (type: string) => boolean): string | undefined {
  return VIDEO_TYPES.find((type) => isSupported(type));
}

/** The upload type and chunk extension of what a MediaRecorder actually produced. */
export function containerOf(mimeType: string): { contentType: UploadContentType; ext: 'mp4' | 'webm' } {
  return mimeType.startsWith('video/mp4')
    ? { contentType: 'video/mp4', ext: 'mp4' }
    : { contentType: 'video/webm', ext: 'webm' };
}

/** One finished chunk, timed by the browser's monotonic clock. */
export interface RecordedChunk {
  asset: VideoAsset;
  blob: Blob;
  /** Monotonic start (Unix-epoch ms). */
  startMs: number;
  /** Wall-clock length, stop − start. */
  durationMs: number;
  contentType: UploadContentType;
  ext: 'mp4' | 'webm';
}

interface Segment {
  recorder: MediaRecorder;
  startMs: number;
  stopMs?: number;
  done: Promise<void>;
}

/** Records one stream as consecutive self-contained chunks of `chunkMs`. */
export class ChunkRecorder {
  private current: Segment | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private readonly handled: Array<Promise<void>> = [];
  private readonly asset: VideoAsset;
  private readonly stream: MediaStream;
  private readonly mimeType: string;
  private readonly chunkMs: number;
  private readonly onChunk: (chunk: RecordedChunk) => Promise<void>;
  private readonly emit: Emit;

  constructor(options: {
    asset: VideoAsset;
    stream: MediaStream;
    mimeType: string;
    chunkMs: number;
    onChunk: (chunk: RecordedChunk) => Promise<void>;
    emit: Emit;
  }) {
    this.asset = options.asset;
    this.stream = options.stream;
    this.mimeType = options.mimeType;
    this.chunkMs = options.chunkMs;
    this.onChunk = options.onChunk;
    this.emit = options.emit;
  }

  start(): void {
    this.running = true;
    this.current = this.open();
    this.schedule();
    for (const track of this.stream.getTracks()) track.addEventListener('ended', this.trackEnded);
  }

  /** Ends the current chunk and resolves once every chunk has been handed over. */
  async stop(): Promise<void> {
    this.finish();
    for (const track of this.stream.getTracks()) track.removeEventListener('ended', this.trackEnded);
    await this.current?.done;
    await Promise.all(this.handled);
  }

  /**
   * Every track ended (the candidate stopped sharing): the chunk in progress ends now and nothing follows.
   * A track that ends alone (a webcam's camera, its microphone still live) leaves the recording going.
   */
  private readonly trackEnded = () => {
    if (this.stream.getTracks().every((track) => track.readyState === 'ended')) this.finish();
  };

  private finish(): void {
    this.running = false;
    clearTimeout(this.timer);
    if (this.current) this.close(this.current);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      if (!this.running) return;
      this.rotate();
      this.schedule();
    }, this.chunkMs);
  }

  /** The next chunk starts, then the current one stops. True when a new chunk started. */
  private rotate(): boolean {
    if (!this.stream.active) {
      this.finish();
      return false;
    }
    const previous = this.current;
    try {
      this.current = this.open();
    } catch (error) {
      // The current chunk goes on: a failed start loses nothing, and the next rotation tries again.
      this.emit('recorder_error', { asset: this.asset, message: (error as Error).message });
      return false;
    }
    if (previous) this.close(previous);
    return true;
  }

  private close(segment: Segment): void {
    if (segment.recorder.state === 'inactive') return;
    segment.stopMs = monotonicNow();
    segment.recorder.stop();
  }

  private open(): Segment {
    const bitrate = BITRATES[this.asset];
    const recorder = new MediaRecorder(this.stream, {
      mimeType: this.mimeType,
      videoBitsPerSecond: bitrate.video,
      audioBitsPerSecond: bitrate.audio,
    });
    const parts: Blob[] = [];
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) parts.push(event.data);
    };
    const segment: Segment = { recorder, startMs: monotonicNow(), done: Promise.resolve() };
    segment.done = new Promise((resolve) => {
      // Also fires when the stream ends (the candidate stopped sharing): that chunk is kept too.
      recorder.onstop = () => {
        const stopMs = segment.stopMs ?? monotonicNow();
        if (parts.length > 0) this.handled.push(this.hand(parts, segment.startMs, stopMs, recorder.mimeType));
        resolve();
      };
    });
    recorder.onerror = (event) => {
      const message = (event as Event & { error?: DOMException }).error?.message ?? 'MediaRecorder error';
      this.emit('recorder_error', { asset: this.asset, message });
      if (this.running && this.current === segment && this.rotate()) {
        this.emit('recorder_restarted', { asset: this.asset });
      }
    };
    recorder.start();
    return segment;
  }

  private hand(parts: Blob[], startMs: number, stopMs: number, mimeType: string): Promise<void> {
    const { contentType, ext } = containerOf(mimeType || this.mimeType);
    const blob = new Blob(parts, { type: contentType });
    return this.onChunk({
      asset: this.asset,
      blob,
      startMs,
      durationMs: Math.round(stopMs - startMs),
      contentType,
      ext,
    });
  }
}
