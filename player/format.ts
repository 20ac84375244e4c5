/** Times as a reviewer reads them. Pure. */

const pad = (n: number) => String(n).padStart(2, '0');

/** Seconds from the session's start as `M:SS`, or `H:MM:SS` from an hour on; negative reads as 0. */
export function formatOffset(seconds: number): string {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Server time (Unix ms) as `YYYY-MM-DD HH:MM:SS UTC`, the clock every chunk and event is named on. */
export function formatWallClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
