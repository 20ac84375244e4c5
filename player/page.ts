/**
 * The player page (`/ies/player/index.html?src=<playback root>`, what `player_url` opens): one
 * `<ies-player>` filling the window, and, for a page that embeds it in an iframe, the commands over
 * postMessage (`{type: 'ies:command', command}`) and the state back to the parent
 * (`{type: 'ies:state', state, speed, currentTime, duration}`).
 */
import { isCommand } from './commands.ts';
import type { IesPlayer } from './element.ts';

// index.html loads player.js (which defines the element) before this script; the page shares its bundle.

const player = document.createElement('ies-player') as IesPlayer;
player.setAttribute('src', new URLSearchParams(location.search).get('src') ?? '');
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
