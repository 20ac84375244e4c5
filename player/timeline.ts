/**
 * The timeline under the video: progress, gaps shaded, integrity events as markers coloured by severity
 * (details on hover and focus), the storyboard tile for the time under the pointer, and seeking by pointer
 * or keys (it is an ARIA slider).
 */
import { formatOffset, formatWallClock } from './format.ts';
import { type Tile, tileAt } from './storyboard.ts';
import {
  bandsOf,
  fractionOf,
  type Marker,
  markersOf,
  type PlayerEvent,
  timeAt,
} from './timeline-geometry.ts';
import type { View } from './view.ts';

export interface TimelineModel {
  startMs: number;
  duration: number;
  events: readonly PlayerEvent[];
  gaps: readonly { start_ms: number; end_ms: number }[];
  tiles: readonly Tile[];
  /** Where the storyboard's sheets are (the VTT's folder). */
  sheetBase: string;
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(4)}%`;

function describe(event: PlayerEvent, time: number): string {
  const details = Object.keys(event.details).length > 0 ? `\n${JSON.stringify(event.details, null, 1)}` : '';
  return `${event.severity}: ${event.type} (${event.source}) at ${formatOffset(time)}\n${formatWallClock(event.occurred_at_ms)}${details}`;
}

export class Timeline {
  markers: Marker[] = [];
  private model: TimelineModel | null = null;
  private drawn = '';

  private readonly view: View;
  private readonly seek: (time: number) => void;

  constructor(view: View, seek: (time: number) => void) {
    this.view = view;
    this.seek = seek;
    const bar = view.timeline;
    bar.addEventListener('pointermove', (e) => this.hover(this.fractionAt(e.clientX)));
    bar.addEventListener('pointerleave', () => {
      view.preview.hidden = true;
    });
    bar.addEventListener('pointerdown', (e) => {
      if ((e.target as Element).closest('.marker')) return;
      this.seek(timeAt(this.fractionAt(e.clientX), this.model?.duration ?? 0));
    });
    view.markers.addEventListener('click', (e) => {
      const marker =
        this.markers[Number((e.target as HTMLElement).closest('.marker')?.getAttribute('data-index'))];
      if (marker) this.seek(marker.time);
    });
    for (const type of ['pointerover', 'focusin'] as const)
      view.markers.addEventListener(type, (e) => this.tip(e.target as HTMLElement));
    for (const type of ['pointerout', 'focusout'] as const)
      view.markers.addEventListener(type, () => {
        view.tip.hidden = true;
      });
  }

  private fractionAt(clientX: number): number {
    const box = this.view.timeline.getBoundingClientRect();
    return box.width > 0 ? (clientX - box.left) / box.width : 0;
  }

  /** Redraws markers and gaps when the model changed (events arrived, a live playlist grew). */
  update(model: TimelineModel): void {
    this.model = model;
    const key = `${model.duration.toFixed(1)}|${model.events.length}|${model.gaps.length}|${model.startMs}`;
    if (key === this.drawn) return;
    this.drawn = key;
    this.markers = markersOf(model.events, model.startMs, model.duration);
    this.view.markers.replaceChildren(
      ...this.markers.map((marker, index) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'marker';
        button.dataset.index = String(index);
        button.dataset.severity = marker.event.severity;
        button.dataset.time = marker.time.toFixed(3);
        button.dataset.eventId = marker.event.event_id;
        button.style.left = percent(marker.fraction);
        button.setAttribute(
          'aria-label',
          `${marker.event.severity} event ${marker.event.type} at ${formatOffset(marker.time)}`,
        );
        return button;
      }),
    );
    this.view.bands.replaceChildren(
      ...bandsOf(model.gaps, model.startMs, model.duration).map((band) => {
        const div = document.createElement('div');
        div.className = 'band';
        div.dataset.start = band.start.toFixed(3);
        div.dataset.end = band.end.toFixed(3);
        div.title = `No recording ${formatOffset(band.start)}–${formatOffset(band.end)}`;
        div.style.left = percent(band.fraction);
        div.style.width = percent(band.width);
        return div;
      }),
    );
    this.view.timeline.setAttribute('aria-valuemax', String(Math.round(model.duration)));
  }

  /** Moves the progress bar and the slider's value to `time`. */
  position(time: number): void {
    const duration = this.model?.duration ?? 0;
    this.view.progress.style.width = percent(fractionOf(time, duration));
    this.view.timeline.setAttribute('aria-valuenow', String(Math.round(time)));
    this.view.timeline.setAttribute('aria-valuetext', `${formatOffset(time)} of ${formatOffset(duration)}`);
  }

  private hover(fraction: number): void {
    const model = this.model;
    if (!model) return;
    const time = timeAt(fraction, model.duration);
    const tile = tileAt(model.tiles, time);
    const { preview, tile: box, previewTime } = this.view;
    preview.hidden = false;
    preview.style.left = percent(Math.min(Math.max(fraction, 0), 1));
    previewTime.textContent = formatOffset(time);
    if (tile) {
      box.style.width = `${tile.w}px`;
      box.style.height = `${tile.h}px`;
      box.style.backgroundImage = `url("${model.sheetBase}${tile.sheet}")`;
      box.style.backgroundPosition = `-${tile.x}px -${tile.y}px`;
      box.dataset.tile = `${tile.sheet}#xywh=${tile.x},${tile.y},${tile.w},${tile.h}`;
    }
    box.hidden = !tile;
  }

  private tip(target: HTMLElement): void {
    const marker = this.markers[Number(target.closest('.marker')?.getAttribute('data-index'))];
    if (!marker) return;
    this.view.tip.textContent = describe(marker.event, marker.time);
    this.view.tip.style.left = percent(marker.fraction);
    this.view.tip.hidden = false;
  }
}
