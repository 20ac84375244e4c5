/**
 * The reviewer's player as an ES module: `import 'https://…/ies/player/player.js'` defines `<ies-player>`.
 * Its `src` is the playback root (`…/ies/api/v2/playback/<token>`, the `src` parameter of `player_url`).
 */
import { IesPlayer } from './element.ts';

export { COMMANDS, type Command } from './commands.ts';
export { IesPlayer, type PlayerState } from './element.ts';

if (!customElements.get('ies-player')) customElements.define('ies-player', IesPlayer);

declare global {
  interface HTMLElementTagNameMap {
    'ies-player': IesPlayer;
  }
}
