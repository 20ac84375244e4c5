/**
 * Still JPEG screenshots of the captured screen every few seconds, kept for continuity with the recorder
 * that came before video (the `screenshots` asset). Frames are drawn from a muted, detached video element
 * playing the screen stream.
 */
import { monotonicNow } from './clock.ts';

const JPEG_QUALITY = 0.7;

export class ScreenshotTaker {
  private readonly video = document.createElement('video');
  private readonly canvas = document.createElement('canvas');
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly taken: Array<Promise<void>> = [];
  private readonly everyMs: number;
  private readonly onShot: (blob: Blob, atMonotonicMs: number) => Promise<void>;

  constructor(
    stream: MediaStream,
    everyMs: number,
    onShot: (blob: Blob, atMonotonicMs: number) => Promise<void>,
  ) {
    this.everyMs = everyMs;
    this.onShot = onShot;
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = stream;
  }

  async start(): Promise<void> {
    await this.video.play();
    this.timer = setInterval(() => this.taken.push(this.shoot()), this.everyMs);
  }

  /** Stops taking screenshots; resolves once the ones taken are handed over. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.taken);
    this.video.srcObject = null;
  }

  private async shoot(): Promise<void> {
    const { videoWidth: width, videoHeight: height } = this.video;
    if (width === 0 || height === 0) return;
    const at = monotonicNow();
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.getContext('2d')?.drawImage(this.video, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) =>
      this.canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY),
    );
    if (blob) await this.onShot(blob, at);
  }
}
