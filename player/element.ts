/**
 * `<ies-player src="…/playback/<token>">`: the reviewer's player for one session. Commands with the product
 * design's names (`command('SEEK_BACKWARD_8')`), `currentTime` (seconds from the session's start),
 * `duration`, `state`, and an `ies-state` event whenever the state or speed changes and while it moves.
 */
import { ClipControls } from './clips.ts';
import { type Command, isCommand, planOf } from './commands.ts';
import { formatOffset, formatWallClock } from './format.ts';
import { keyCommand } from './keys.ts';
import { type Attached, attachVideo, firstPicture, followVideo, type PlaylistInfo } from './media.ts';
import { Motion } from './motion.ts';
import {
  loadEvents,
  loadSource,
  loadStoryboard,
  type PlaybackType,
  PlayerError,
  playbackHint,
  type SessionSource,
  whenProcessed,
} from './source.ts';
import type { Tile } from './storyboard.ts';
import { Timeline } from './timeline.ts';
import {
  frameAt,
  frameTimes,
  nextMarker,
  type PlayerEvent,
  previousMarker,
  serverSpans,
} from './timeline-geometry.ts';
import { buildView, showState, type View } from './view.ts';

export type PlayerState =
  | 'loading'
  | 'playing'
  | 'paused'
  | 'seeking_forward'
  | 'seeking_backward'
  | 'ended'
  | 'error';

/** How often a live session's events are read again. */
const LIVE_POLL_MS = 3000;
/** How often a live session's state is read, to switch to the processed recording once it is ready. */
const HANDOVER_POLL_MS = 5000;
const TICK_MS = 250;

export class IesPlayer extends HTMLElement {
  static observedAttributes = ['src'];
  state: PlayerState = 'loading';
  speed = 0;
  /** The evidence clip controls: marks, and the last clip asked for. */
  clips!: ClipControls;
  private view!: View;
  private motion!: Motion;
  private timeline!: Timeline;
  private source: SessionSource | null = null;
  private attached: Attached[] = [];
  private main: (Attached & { url: string; type: PlaybackType }) | null = null;
  private events: PlayerEvent[] = [];
  private tiles: Tile[] = [];
  private frames: number[] = [];
  private playlist: PlaylistInfo | null = null;
  private pipOffset = 0;
  private root = '';
  /** Where to go once loaded: the server time and whether it played, kept over a switch from live. */
  private resume: { atMs: number; playing: boolean } | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private sent = '';

  /** Seconds from the session's start. */
  get currentTime(): number {
    return this.motion ? this.motion.position() : 0;
  }
  get duration(): number {
    return this.source?.duration ?? this.playlist?.duration ?? 0;
  }
  /** Whether it follows the live playlists of a session still recording. */
  get live(): boolean {
    return this.source?.live ?? false;
  }
  /** Pictures shown while stepping (for checks that the picture keeps changing). */
  get pictures(): number {
    return this.motion?.pictures ?? 0;
  }
  /** Server time (Unix ms) of the session's start. */
  get startMs(): number {
    return this.source?.startMs ?? this.playlist?.firstChunkMs ?? 0;
  }

  connectedCallback(): void {
    if (!this.shadowRoot) {
      this.view = buildView(this.attachShadow({ mode: 'open' }));
      this.motion = new Motion({
        video: this.view.main,
        scrub: this.view.scrub,
        duration: () => this.duration,
        frameUrl: (position) => {
          const ms = frameAt(this.frames, this.startMs + position * 1000);
          return ms === null || !this.source ? null : `${this.source.framesBase}${ms}.jpg`;
        },
        reachedEnd: (direction) => this.setState(direction > 0 ? 'ended' : 'paused', 0),
      });
      this.timeline = new Timeline(this.view, (time) => this.seek(time));
      this.clips = new ClipControls(this.view, {
        source: () => (this.source ? { ...this.source, root: this.root } : null),
        markers: () => this.timeline.markers,
        position: () => this.currentTime,
      });
      this.view.controls.addEventListener('click', (e) => this.onControl(e.target as HTMLElement));
      this.addEventListener('keydown', (e) => this.onKey(e));
      this.view.main.addEventListener('ended', () => this.setState('ended', 0));
      if (!this.hasAttribute('tabindex')) this.tabIndex = 0;
    }
    void this.load();
  }

  disconnectedCallback(): void {
    this.unload();
  }

  attributeChangedCallback(): void {
    if (this.isConnected && this.view) void this.load();
  }

  /** Runs one of the product design's commands. */
  command(name: Command | string): void {
    if (!isCommand(name)) throw new TypeError(`Unknown command ${String(name)}`);
    if (this.state === 'loading' || this.state === 'error') return;
    const plan = planOf(name);
    if (this.state === 'ended' && plan.kind !== 'pause' && !(plan.kind === 'step' && plan.direction < 0))
      this.motion.seek(0);
    this.motion.apply(plan);
    if (plan.kind === 'play') this.setState('playing', 1);
    else if (plan.kind === 'pause') this.setState('paused', 0);
    else if (plan.kind === 'rate') this.setState('seeking_forward', plan.rate);
    else this.setState(plan.direction > 0 ? 'seeking_forward' : 'seeking_backward', plan.speed);
  }

  /** Moves to `time` seconds from the session's start, keeping the current command. */
  seek(time: number): void {
    if (this.state === 'loading' || this.state === 'error') return;
    this.motion.seek(Math.min(Math.max(time, 0), this.duration));
    if (this.state === 'ended') this.setState('paused', 0);
    this.render();
  }

  /** Jumps to the previous or next integrity event. */
  jumpToEvent(way: 'previous' | 'next'): void {
    const marker = (way === 'previous' ? previousMarker : nextMarker)(
      this.timeline.markers,
      this.currentTime,
    );
    if (!marker) return;
    this.clips.picked = marker.event;
    this.seek(marker.time);
    this.view.announce.textContent = `${marker.event.type} at ${formatOffset(marker.time)}`;
  }

  private unload(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const attached of this.attached) attached.destroy();
    this.attached = [];
    this.main?.destroy();
    this.main = null;
  }

  private async load(): Promise<void> {
    this.unload();
    const root = (this.getAttribute('src') ?? '').replace(/\/+$/, '');
    this.root = root;
    if (!root) return;
    const resume = this.resume;
    this.resume = null;
    this.setState('loading', 0);
    try {
      // What the first frame does not wait for starts at once: the video on the URL's hint, the events, and
      // the session's state with its manifest side by side (`source.ts`).
      const hint = playbackHint(root, this.getAttribute('playback'), this.getAttribute('playback-type'));
      if (hint) this.showMain(hint.url, hint.type);
      const events = this.readEvents(root);
      const source = await loadSource(root, hint);
      this.source = source;
      this.frames = frameTimes(source.chunks);
      if (source.storyboard) void loadStoryboard(source.storyboard.vtt).then((tiles) => (this.tiles = tiles));
      const mainAsset = source.videos.screenshare ? 'screenshare' : 'webcam';
      const mainUrl = source.videos[mainAsset];
      if (!mainUrl)
        throw new PlayerError('Waiting for the recording: nothing has been processed yet.', 'empty');
      this.showMain(mainUrl, source.type);
      const pipUrl = mainAsset === 'screenshare' ? source.videos.webcam : undefined;
      this.view.pip.hidden = !pipUrl;
      if (pipUrl)
        this.attached.push(
          attachVideo(this.view.pip, pipUrl, source.type, (info) => {
            if (source.live && info.firstChunkMs !== null && this.playlist?.firstChunkMs)
              this.pipOffset = (info.firstChunkMs - this.playlist.firstChunkMs) / 1000;
          }),
        );
      this.view.live.hidden = !source.live;
      await events;
      if (source.live) {
        this.timers.push(setInterval(() => void this.readEvents(root), LIVE_POLL_MS));
        // Once processed, the recording is loaded in place, at the same server time, playing if it was.
        this.timers.push(
          whenProcessed(root, HANDOVER_POLL_MS, () => {
            this.resume = { atMs: this.startMs + this.currentTime * 1000, playing: this.state === 'playing' };
            void this.load();
          }),
        );
      }
      this.timers.push(setInterval(() => this.render(), TICK_MS));
      await firstPicture(this.view.main);
      this.setState('paused', 0);
      if (resume && this.startMs > 0) {
        this.seek((resume.atMs - this.startMs) / 1000);
        if (resume.playing) this.command('PLAY');
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Plays `url` in the main video, unless it already does (it was started on the URL's hint). */
  private showMain(url: string, type: PlaybackType): void {
    if (this.main?.url === url && this.main.type === type) return;
    this.main?.destroy();
    this.main = { url, type, ...attachVideo(this.view.main, url, type, (info) => this.onPlaylist(info)) };
  }

  private async readEvents(root: string): Promise<void> {
    try {
      this.events = await loadEvents(root);
    } catch (error) {
      if (error instanceof PlayerError && error.code !== 'unavailable') this.fail(error);
    }
    this.render();
  }

  private onPlaylist(info: PlaylistInfo): void {
    this.playlist = info;
    if (this.source?.live) this.frames = frameTimes(info.chunks);
  }

  private fail(error: unknown): void {
    this.unload();
    this.view.message.textContent =
      error instanceof PlayerError ? error.message : `The player failed: ${String(error)}`;
    this.view.message.hidden = false;
    this.setState('error', 0);
  }

  private onControl(target: HTMLElement): void {
    const button = target.closest('button');
    const command = button?.dataset.command;
    if (command === 'PLAY') this.command(this.state === 'playing' ? 'PAUSE' : 'PLAY');
    else if (command) this.command(command);
    else if (button?.dataset.action === 'previous-event') this.jumpToEvent('previous');
    else if (button?.dataset.action === 'next-event') this.jumpToEvent('next');
  }

  private onKey(event: KeyboardEvent): void {
    // Space and Enter on a focused button press that button.
    const onButton = event.composedPath()[0] instanceof HTMLButtonElement;
    if (onButton && (event.key === ' ' || event.key === 'Enter')) return;
    const action = keyCommand(event, this.state, this.speed);
    if (!action) return;
    event.preventDefault();
    if (action === 'mark-in' || action === 'mark-out') this.clips.mark(action);
    else if (action === 'previous-event' || action === 'next-event')
      this.jumpToEvent(action === 'next-event' ? 'next' : 'previous');
    else if (typeof action === 'number') this.seek(this.currentTime + action);
    else this.command(action);
  }

  private setState(state: PlayerState, speed: number): void {
    this.state = state;
    this.speed = speed;
    showState(this.view, state, speed);
    this.render();
  }

  /** Draws the time, the timeline and the picture-in-picture, and tells listeners where it is. */
  private render(): void {
    if (!this.view) return;
    const time = this.currentTime;
    const startMs = this.startMs;
    const duration = this.duration;
    this.timeline.update({
      startMs,
      duration,
      events: this.events,
      gaps: this.source?.live ? serverSpans(this.playlist?.gaps ?? [], startMs) : (this.source?.gaps ?? []),
      tiles: this.tiles,
      sheetBase: this.source?.storyboard?.base ?? '',
    });
    this.timeline.position(time);
    this.clips.update();
    this.view.offset.textContent = formatOffset(time);
    this.view.duration.textContent = formatOffset(duration);
    this.view.wall.textContent = startMs > 0 ? formatWallClock(startMs + time * 1000) : '';
    if (!this.view.pip.hidden && this.motion.plan.kind !== 'step')
      followVideo(this.view.main, this.view.pip, this.pipOffset);
    const detail = { state: this.state, speed: this.speed, currentTime: time, duration };
    const moving = this.state === 'playing' || this.state.startsWith('seeking');
    const key = `${this.state}|${this.speed}`;
    if (key !== this.sent || moving) {
      this.sent = key;
      this.dispatchEvent(new CustomEvent('ies-state', { detail, bubbles: true, composed: true }));
    }
  }
}
