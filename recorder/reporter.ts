/**
 * Sends the recorder's integrity signals to the service's events API (`POST /session/events`, candidate
 * token), where the tenant lists them and the player draws them on the timeline. Each signal gets its
 * server time when it happens and an idempotency key, so a batch retried after a lost answer is stored
 * once. Batches are retried with backoff while offline or refused by an outage; `flush()` sends what is
 * left when the recording stops.
 */
import { HttpError, type ServiceApi } from './api.ts';
import { backoffMs, online, pause } from './backoff.ts';
import type { Emitter, RecorderEventName, RecorderEvents } from './events.ts';

type Severity = 'info' | 'warning' | 'critical';

/** The recorder's signals and how much each matters to a reviewer. */
const SIGNALS: Partial<Record<RecorderEventName, Severity>> = {
  share_stopped: 'critical',
  webcam_lost: 'critical',
  storage_full: 'critical',
  surface_not_monitor: 'warning',
  page_hidden: 'warning',
  recorder_error: 'warning',
  backlog: 'warning',
  page_visible: 'info',
  recorder_restarted: 'info',
};

/** The service takes at most this many events a request. */
const BATCH = 100;

export interface IntegrityEvent {
  type: string;
  occurred_at_ms: number;
  severity: Severity;
  details: Record<string, unknown>;
  idempotency_key: string;
}

/** Forwards `events`' integrity signals to the service; returns the flush that waits for the last ones. */
export function reportSignals(events: Emitter, api: ServiceApi, serverTime: () => number) {
  const waiting: IntegrityEvent[] = [];
  let sending: Promise<void> | undefined;

  const send = async () => {
    for (let attempt = 1; waiting.length > 0; ) {
      const batch = waiting.slice(0, BATCH);
      try {
        await api.events(batch);
        waiting.splice(0, batch.length);
        attempt = 1;
      } catch (error) {
        // A refusal of the batch itself (4xx but 429) would be refused again: drop it, say why.
        if (error instanceof HttpError && error.status < 500 && error.status !== 429) {
          waiting.splice(0, batch.length);
          events.emit('error', { message: `integrity events not stored: ${(error as Error).message}` });
          continue;
        }
        await online();
        await pause(backoffMs(attempt++));
      }
    }
  };
  const kick = () => {
    sending ??= send().finally(() => {
      sending = undefined;
      if (waiting.length > 0) kick();
    });
  };

  for (const [name, severity] of Object.entries(SIGNALS) as Array<[RecorderEventName, Severity]>) {
    events.on(name, (payload: RecorderEvents[typeof name]) => {
      waiting.push({
        type: name,
        occurred_at_ms: Math.round(serverTime()),
        severity,
        details: { ...payload },
        idempotency_key: crypto.randomUUID(),
      });
      kick();
    });
  }
  return { flush: () => sending ?? Promise.resolve() };
}
