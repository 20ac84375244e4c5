/**
 * The player page (`/ies/player/index.html?src=<playback root>[&playback=<path>&type=<type>]`, what
 * `player_url` opens): one
 * `<ies-player>` filling the window, and, for a page that embeds it in an iframe, the commands over
 * postMessage (`{type: 'ies:command', command}`) and the state back to the parent
 * (`{type: 'ies:state', state, speed, currentTime, duration}`).
 */
import { isCommand } from './commands.ts';
import type { IesPlayer } from './element.ts';

// index.html loads player.js (which defines the element) before this script; the page shares its bundle.

const player = document.createElement('ies-player') as IesPlayer;
const params = new URLSearchParams(location.search);
player.setAttribute('src', params.get('src') ?? '');
// What a processed session plays, so the video starts loading beside the session's state (`source.ts`).
for (const [param, attribute] of [
  ['playback', 'playback'],
  ['type', 'playback-type'],
] as const) {
  const value = params.get(param);
  if (value) player.setAttribute(attribute, value);
}
document.body.append(player);
player.focus();

window.addEventListener('message', (event: MessageEvent) => {
  const data = event.data as { type?: unknown; command?: unknown } | null;
  if (data?.type === 'ies:command' && isCommand(data.command)) player.command(data.command);
});

player.addEventListener('ies-state', (event) => {
  if (window.parent === window) return;
  const { detail } = event as CustomEvent<Record<string, unknown>>;
  window.parent.postMessage({ type: 'ies:state', ...detail }, '*');
});
