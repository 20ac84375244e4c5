/**
 * Carries out a command's plan on the main video: playbackRate for play and smooth speeds; for steps, a
 * position moved on the clock and shown by seeking the video or, fast backward, by the analysis frames
 * (browsers have no negative playbackRate: HTML Standard, "playbackRate" — a negative rate throws
 * NotSupportedError in Chromium). When a step ends the video is seeked to where it stopped.
 */
import { type Plan, STEPS_PER_SECOND, type StepAnchor, stepPosition } from './commands.ts';

export interface MotionHost {
  video: HTMLVideoElement;
  scrub: HTMLImageElement;
  duration(): number;
  /** The analysis frame for a position (s), or null when there is none. */
  frameUrl(position: number): string | null;
  /** A step reached an end of the recording. */
  reachedEnd(direction: 1 | -1): void;
}

type Step = Extract<Plan, { kind: 'step' }>;

/** Ticks a second while stepping: twice the pictures asked for, so none waits a whole tick. */
const TICK_MS = 1000 / (STEPS_PER_SECOND * 2);
/** Frames fetched ahead of the position while stepping through them. */
const PRELOAD = 4;

export class Motion {
  plan: Plan = { kind: 'pause' };
  /** Pictures shown while stepping: seeks completed and frames drawn. */
  pictures = 0;
  private anchor: StepAnchor = { position: 0, at: 0 };
  private timer: ReturnType<typeof setInterval> | undefined;
  private preloaded = new Map<string, HTMLImageElement>();

  private readonly host: MotionHost;

  constructor(host: MotionHost) {
    this.host = host;
    host.video.addEventListener('seeked', () => {
      if (this.plan.kind === 'step' && this.plan.pictures === 'frames') return;
      host.scrub.hidden = true;
      if (this.plan.kind === 'step') this.shown();
    });
    host.scrub.addEventListener('load', () => {
      if (this.plan.kind === 'step') this.shown();
    });
  }

  /** The position in seconds: on the clock while stepping, else the video's. */
  position(now = performance.now()): number {
    const plan = this.plan;
    return plan.kind === 'step'
      ? stepPosition(this.anchor, plan, now, this.host.duration())
      : this.host.video.currentTime;
  }

  /** Switches to `plan`, starting from the current position. */
  apply(plan: Plan): void {
    const { video } = this.host;
    const position = this.position();
    clearInterval(this.timer);
    this.timer = undefined;
    const wasStep = this.plan.kind === 'step';
    this.plan = plan;
    if (plan.kind === 'step') {
      video.pause();
      this.anchor = { position, at: performance.now() };
      this.timer = setInterval(() => this.tick(plan), TICK_MS);
      this.tick(plan);
      return;
    }
    if (wasStep) video.currentTime = position;
    if (plan.kind === 'pause') {
      video.pause();
      return;
    }
    video.playbackRate = plan.kind === 'rate' ? plan.rate : 1;
    void video.play().catch(() => {});
  }

  /** Moves to `time` (s) and goes on as before; a step restarts its clock there. */
  seek(time: number): void {
    if (this.plan.kind === 'step') this.anchor = { position: time, at: performance.now() };
    else this.host.video.currentTime = time;
  }

  private tick(plan: Step): void {
    const { video, scrub } = this.host;
    const position = this.position();
    const frame = plan.pictures === 'frames' ? this.host.frameUrl(position) : null;
    if (frame) {
      if (scrub.dataset.src !== frame) {
        scrub.dataset.src = frame;
        scrub.src = frame;
        scrub.hidden = false;
        this.preload(position, plan.direction * plan.speed);
      }
    } else if (!video.seeking && Math.abs(video.currentTime - position) > 0.04) {
      video.currentTime = position;
    }
    const end = plan.direction > 0 ? this.host.duration() : 0;
    if (position === end) {
      this.apply({ kind: 'pause' });
      this.host.reachedEnd(plan.direction);
    }
  }

  private preload(position: number, secondsPerSecond: number): void {
    const wanted = new Set<string>();
    for (let i = 1; i <= PRELOAD; i++) {
      const url = this.host.frameUrl(position + (i * secondsPerSecond) / STEPS_PER_SECOND);
      if (url) wanted.add(url);
    }
    for (const url of wanted) {
      if (this.preloaded.has(url)) continue;
      const image = new Image();
      image.src = url;
      this.preloaded.set(url, image);
    }
    for (const url of this.preloaded.keys()) if (!wanted.has(url)) this.preloaded.delete(url);
  }

  private shown(): void {
    this.pictures++;
  }
}
