/**
 * Integrity signals from the capture itself and the page: the candidate stopped sharing, shares a
 * window or tab instead of a monitor, hid the page, or lost the webcam. Each becomes a recorder event.
 */
import type { Emit } from './events.ts';

/** Watches the streams and the page; returns the function that stops watching. */
export function watchIntegrity(
  streams: { screen?: MediaStream; webcam?: MediaStream },
  emit: Emit,
): () => void {
  const undo: Array<() => void> = [];
  const listen = (target: EventTarget, type: string, listener: () => void) => {
    target.addEventListener(type, listener);
    undo.push(() => target.removeEventListener(type, listener));
  };

  const screen = streams.screen?.getVideoTracks()[0];
  if (screen) {
    listen(screen, 'ended', () => emit('share_stopped', {}));
    // `displaySurface` is 'monitor', 'window' or 'browser' (Screen Capture spec, MediaTrackSettings).
    const surface = (screen.getSettings() as MediaTrackSettings & { displaySurface?: string }).displaySurface;
    if (surface && surface !== 'monitor') emit('surface_not_monitor', { surface });
  }
  for (const track of streams.webcam?.getTracks() ?? []) {
    listen(track, 'ended', () => emit('webcam_lost', { kind: track.kind, reason: 'ended' }));
    listen(track, 'mute', () => emit('webcam_lost', { kind: track.kind, reason: 'mute' }));
  }
  listen(document, 'visibilitychange', () =>
    emit(document.visibilityState === 'hidden' ? 'page_hidden' : 'page_visible', {}),
  );
  return () => {
    for (const step of undo) step();
  };
}
