/**
 * The transcoder's logging: the `Logger` every part writes to, and its JSON-lines form on stdout
 * (`{time, level, msg, …fields}`), one object per line, as log collectors in ECS and Kubernetes expect.
 * Progress is throttled per step so a long encode writes a line every few seconds, not one per ffmpeg
 * stats update.
 */

/** Fields of a structured log line. */
export type LogFields = Record<string, unknown>;

/** Structured logging with progress; `child` binds fields (sessionId, jobType, …) to every line. */
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** How far a long step has come, 0…1. Implementations decide how often to show it. */
  progress(step: string, fraction: number, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** An error's message for a log line or a report, whatever was thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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
