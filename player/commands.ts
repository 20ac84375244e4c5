/**
 * The seed's player commands and how each moves the position. Pure: the element turns a plan into
 * playbackRate, seeks and pictures; the clock is passed in.
 */

export const SPEEDS = [2, 4, 8, 16] as const;
export type Speed = (typeof SPEEDS)[number];
export type Command = 'PLAY' | 'PAUSE' | `SEEK_FORWARD_${Speed}` | `SEEK_BACKWARD_${Speed}`;

export const COMMANDS: readonly Command[] = [
  'PLAY',
  'PAUSE',
  ...SPEEDS.map((speed) => `SEEK_FORWARD_${speed}` as const),
  ...SPEEDS.map((speed) => `SEEK_BACKWARD_${speed}` as const),
];

export function isCommand(name: unknown): name is Command {
  return typeof name === 'string' && (COMMANDS as readonly string[]).includes(name);
}

/**
 * The fastest forward speed played with `playbackRate`. Chromium keeps audio only from 0.5× to 4×
 * (media/filters/audio_renderer_algorithm.cc) and decodes every frame at the rate asked, so beyond 4× the
 * player steps: it seeks on a clock instead of decoding each frame.
 */
export const MAX_SMOOTH_RATE = 4;

/**
 * From this speed on, moving backward shows the session's 1 fps analysis frames: at `speed` seconds per
 * second they change `speed` times a second, at least the 4 pictures a second a reviewer needs to see what
 * passes. Slower, the video itself is seeked in steps.
 */
export const FRAMES_FROM_SPEED = 4;

/** Pictures a second while stepping with video seeks (each seek waits for the one before). */
export const STEPS_PER_SECOND = 4;

export type Plan =
  | { kind: 'play' }
  | { kind: 'pause' }
  | { kind: 'rate'; rate: number }
  | { kind: 'step'; direction: 1 | -1; speed: number; pictures: 'video' | 'frames' };

/** How a command moves the position. */
export function planOf(command: Command): Plan {
  if (command === 'PLAY') return { kind: 'play' };
  if (command === 'PAUSE') return { kind: 'pause' };
  const [, way, digits] = /^SEEK_(FORWARD|BACKWARD)_(\d+)$/.exec(command) ?? [];
  const speed = Number(digits);
  if (way === 'FORWARD') {
    return speed <= MAX_SMOOTH_RATE
      ? { kind: 'rate', rate: speed }
      : { kind: 'step', direction: 1, speed, pictures: 'video' };
  }
  return { kind: 'step', direction: -1, speed, pictures: speed >= FRAMES_FROM_SPEED ? 'frames' : 'video' };
}

/** Where a step started: the position (s) and the clock (ms) at that moment. */
export interface StepAnchor {
  position: number;
  at: number;
}

/**
 * The position a step has reached at `now` (ms), moving `speed` seconds a second from its anchor, kept
 * inside [0, end]. Computed from the clock, not by adding increments, so slow seeks never slow the speed.
 */
export function stepPosition(
  anchor: StepAnchor,
  plan: { direction: 1 | -1; speed: number },
  now: number,
  end: number,
): number {
  const moved = ((now - anchor.at) / 1000) * plan.speed * plan.direction;
  return Math.min(Math.max(anchor.position + moved, 0), Math.max(end, 0));
}
