/** The element's shadow DOM: stage (screen, webcam picture-in-picture, scrub picture), timeline, controls. */
import { SPEEDS } from './commands.ts';

const STYLE = `
:host { display: block; position: relative; background: #111; color: #eee; font: 14px/1.4 system-ui, sans-serif; }
:host(:focus-visible), button:focus-visible, .timeline:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.stage { position: relative; aspect-ratio: 16 / 9; background: #000; overflow: hidden; }
.stage video.main, .stage img.scrub { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; background: #000; }
.stage video.pip { position: absolute; right: 1%; bottom: 1%; width: 22%; border: 2px solid #fff8; background: #000; }
.stage .message { position: absolute; inset: 0; display: grid; place-items: center; padding: 2em; text-align: center; font-size: 1.2em; background: #000c; }
.live { position: absolute; left: 1%; top: 1%; padding: 0 .5em; background: #c0392b; border-radius: 3px; font-weight: 600; }
.timeline { position: relative; height: 28px; margin: 8px 12px; background: #333; border-radius: 4px; cursor: pointer; touch-action: none; }
.timeline .band { position: absolute; top: 0; bottom: 0; background: repeating-linear-gradient(45deg, #555 0 4px, #222 4px 8px); }
.timeline .progress { position: absolute; top: 0; bottom: 0; left: 0; background: #3b6fd1aa; pointer-events: none; }
.timeline .marker { position: absolute; top: -3px; width: 10px; height: 34px; margin-left: -5px; padding: 0; border: 1px solid #000; border-radius: 3px; cursor: pointer; }
.marker[data-severity=info] { background: #4aa3df; }
.marker[data-severity=warning] { background: #f0ad4e; }
.marker[data-severity=critical] { background: #e74c3c; }
.preview { position: absolute; bottom: 36px; transform: translateX(-50%); background: #000; border: 1px solid #888; pointer-events: none; text-align: center; font-size: 12px; }
.preview .tile { background-repeat: no-repeat; }
.tip { position: absolute; bottom: 40px; transform: translateX(-50%); max-width: 320px; padding: 6px 8px; background: #222; border: 1px solid #888; border-radius: 4px; white-space: pre-wrap; font-size: 12px; pointer-events: none; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; padding: 4px 12px 10px; }
.controls button { min-width: 44px; min-height: 32px; background: #2a2a2a; color: #eee; border: 1px solid #555; border-radius: 4px; cursor: pointer; }
.controls button[aria-pressed=true] { background: #3b6fd1; }
.time { margin-left: auto; font-variant-numeric: tabular-nums; }
.timeline .marked { position: absolute; top: 0; bottom: 0; background: #ffbf4766; border-left: 2px solid #ffbf47; border-right: 2px solid #ffbf47; pointer-events: none; }
.clips { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; padding: 0 12px 10px; }
.clips a { color: #ffbf47; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
[hidden] { display: none !important; }
`;

const speedButtons = (way: 'BACKWARD' | 'FORWARD') =>
  (way === 'BACKWARD' ? [...SPEEDS].reverse() : SPEEDS)
    .map((speed) => {
      const label = `${way === 'BACKWARD' ? 'Back' : 'Forward'} ${speed}×`;
      const text = way === 'BACKWARD' ? `◀◀ ${speed}×` : `${speed}× ▶▶`;
      return `<button type="button" data-command="SEEK_${way}_${speed}" aria-label="${label}" aria-pressed="false">${text}</button>`;
    })
    .join('');

const TEMPLATE = `
<style>${STYLE}</style>
<div class="stage">
  <video class="main" playsinline muted></video>
  <img class="scrub" alt="" hidden>
  <video class="pip" playsinline muted hidden aria-label="Webcam"></video>
  <span class="live" hidden>LIVE</span>
  <div class="message" role="alert" hidden></div>
</div>
<div class="timeline" role="slider" tabindex="0" aria-label="Timeline" aria-valuemin="0" aria-valuemax="0" aria-valuenow="0">
  <div class="bands"></div>
  <div class="progress"></div>
  <div class="marked" hidden></div>
  <div class="markers"></div>
  <div class="preview" hidden><div class="tile"></div><span></span></div>
  <div class="tip" role="tooltip" hidden></div>
</div>
<div class="controls" role="toolbar" aria-label="Player controls">
  <button type="button" data-action="previous-event" aria-label="Previous event">◂ Prev event</button>
  ${speedButtons('BACKWARD')}
  <button type="button" data-command="PLAY" class="play" aria-label="Play" aria-pressed="false">▶ Play</button>
  ${speedButtons('FORWARD')}
  <button type="button" data-action="next-event" aria-label="Next event">Next event ▸</button>
  <span class="time" aria-live="off"><span class="offset">0:00</span> / <span class="duration">0:00</span><br><span class="wall"></span></span>
  <span class="sr" aria-live="polite"></span>
</div>
<div class="clips controls" role="group" aria-label="Evidence clip" hidden>
  <button type="button" data-action="mark-in" aria-label="Mark in (I)">⟦ Mark in</button>
  <button type="button" data-action="mark-out" aria-label="Mark out (O)">Mark out ⟧</button>
  <span class="mark-text"></span>
  <button type="button" data-action="clip-range" disabled>Clip range</button>
  <button type="button" data-action="clip-event" disabled>Clip event ±30 s</button>
  <span class="clip-state" aria-live="polite"></span>
  <a class="clip-link" hidden></a>
</div>`;

/** The parts of the shadow DOM the element drives. */
export function buildView(root: ShadowRoot) {
  root.innerHTML = TEMPLATE;
  const q = <T extends Element>(selector: string) => root.querySelector(selector) as T;
  return {
    main: q<HTMLVideoElement>('video.main'),
    pip: q<HTMLVideoElement>('video.pip'),
    scrub: q<HTMLImageElement>('img.scrub'),
    live: q<HTMLElement>('.live'),
    message: q<HTMLElement>('.message'),
    timeline: q<HTMLElement>('.timeline'),
    bands: q<HTMLElement>('.bands'),
    progress: q<HTMLElement>('.progress'),
    markers: q<HTMLElement>('.markers'),
    preview: q<HTMLElement>('.preview'),
    tile: q<HTMLElement>('.preview .tile'),
    previewTime: q<HTMLElement>('.preview span'),
    tip: q<HTMLElement>('.tip'),
    controls: q<HTMLElement>('.controls'),
    play: q<HTMLButtonElement>('button.play'),
    offset: q<HTMLElement>('.offset'),
    duration: q<HTMLElement>('.duration'),
    wall: q<HTMLElement>('.wall'),
    announce: q<HTMLElement>('.sr'),
    clips: q<HTMLElement>('.clips'),
    marked: q<HTMLElement>('.marked'),
    markText: q<HTMLElement>('.mark-text'),
    clipRange: q<HTMLButtonElement>('button[data-action=clip-range]'),
    clipEvent: q<HTMLButtonElement>('button[data-action=clip-event]'),
    clipState: q<HTMLElement>('.clip-state'),
    link: q<HTMLAnchorElement>('a.clip-link'),
  };
}
export type View = ReturnType<typeof buildView>;

/** Presses the button of the command running (`speed` 0: none moving) and labels play/pause. */
export function showState(view: View, state: string, speed: number): void {
  for (const button of view.controls.querySelectorAll<HTMLButtonElement>('button[data-command]')) {
    const command = button.dataset.command ?? '';
    const pressed =
      command === 'PLAY'
        ? state === 'playing'
        : command.endsWith(`_${speed}`) &&
          command.includes(state === 'seeking_backward' ? 'BACKWARD' : 'FORWARD') &&
          state.startsWith('seeking');
    button.setAttribute('aria-pressed', String(pressed));
  }
  view.play.textContent = state === 'playing' ? '❚❚ Pause' : '▶ Play';
  view.play.setAttribute('aria-label', state === 'playing' ? 'Pause' : 'Play');
}
