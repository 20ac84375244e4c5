/**
 * Structured JSON log lines on stdout (`{time, level, msg, …fields}`), one object per line, as log
 * collectors in ECS and Kubernetes expect. Progress is throttled per step so a long encode writes a line
 * every few seconds, not one per ffmpeg stats update.
 */
import type { LogFields, Logger } from '../jobs/context.ts';

export interface JsonLoggerOptions {
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
  /** Least time between two progress lines of one step; the first and the last (1) always show. */
  progressEveryMs?: number;
  now?: () => number;
}

const DEFAULT_PROGRESS_EVERY_MS = 5000;

function serialisable(fields: LogFields): LogFields {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      value instanceof Error ? { name: value.name, message: value.message } : value,
    ]),
  );
}

/** A JSON-lines logger with `bound` fields on every line. */
export function createJsonLogger(bound: LogFields = {}, options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const every = options.progressEveryMs ?? DEFAULT_PROGRESS_EVERY_MS;
  const lastProgress = new Map<string, number>();
  const line = (level: string, msg: string, fields: LogFields = {}) =>
    write(
      JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...bound, ...serialisable(fields) }),
    );
  return {
    info: (msg, fields) => line('info', msg, fields),
    warn: (msg, fields) => line('warn', msg, fields),
    error: (msg, fields) => line('error', msg, fields),
    progress(step, fraction, fields) {
      const last = lastProgress.get(step);
      const at = now();
      if (fraction < 1 && last !== undefined && at - last < every) return;
      lastProgress.set(step, at);
      line('info', 'progress', {
        step,
        percent: Math.round(Math.min(1, Math.max(0, fraction)) * 100),
        ...fields,
      });
    },
    child: (fields) => createJsonLogger({ ...bound, ...fields }, { write, progressEveryMs: every, now }),
  };
}
