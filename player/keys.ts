/**
 * Keyboard shortcuts, one for every command. Pure: a key press, the state and speed in, what to do out.
 *
 * | key | does |
 * |---|---|
 * | Space, K | play / pause |
 * | L, J | forward / backward, each press the next speed (2×, 4×, 8×, 16×) |
 * | 1 2 3 4 | forward at 2× 4× 8× 16× |
 * | Shift + 1 2 3 4 | backward at 2× 4× 8× 16× |
 * | ← → | 5 s back / on (on the timeline too) |
 * | [ ] | previous / next event |
 * | I O | mark the evidence clip's in / out at the current position |
 */
import { type Command, SPEEDS, type Speed } from './commands.ts';

export type KeyAction = Command | 'previous-event' | 'next-event' | 'mark-in' | 'mark-out' | number;

export const SEEK_KEY_SECONDS = 5;

/** The first speed when not moving that way yet, else the next faster one (16× stays 16×). */
function nextSpeed(current: number, moving: boolean): Speed {
  if (!moving) return 2;
  return SPEEDS.find((speed) => speed > current) ?? 16;
}

/** The action for a key press, or null for a key the player leaves alone. */
export function keyCommand(
  event: Pick<KeyboardEvent, 'key' | 'code' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>,
  state: string,
  speed: number,
): KeyAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const digit = /^Digit([1-4])$/.exec(event.code)?.[1];
  if (digit) {
    const chosen = SPEEDS[Number(digit) - 1] ?? 2;
    return event.shiftKey ? `SEEK_BACKWARD_${chosen}` : `SEEK_FORWARD_${chosen}`;
  }
  switch (event.key.toLowerCase()) {
    case ' ':
    case 'k':
      return state === 'playing' ? 'PAUSE' : 'PLAY';
    case 'l':
      return `SEEK_FORWARD_${nextSpeed(speed, state === 'seeking_forward')}`;
    case 'j':
      return `SEEK_BACKWARD_${nextSpeed(speed, state === 'seeking_backward')}`;
    case 'arrowleft':
      return -SEEK_KEY_SECONDS;
    case 'arrowright':
      return SEEK_KEY_SECONDS;
    case '[':
      return 'previous-event';
    case ']':
      return 'next-event';
    case 'i':
      return 'mark-in';
    case 'o':
      return 'mark-out';
    default:
      return null;
  }
}
