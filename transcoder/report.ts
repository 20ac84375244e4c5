/**
 * The transcoder's two outward channels. The Worker owns the sessions table, so a finalize outcome is
 * POSTed to its internal endpoint (`SessionStatusReport`, Bearer INTERNAL_TOKEN) rather than written to
 * MySQL; downstream services learn of frames and finished sessions from the events queue (`ServiceEvent`),
 * and each event is also POSTed to the Worker, which delivers it to the tenant's webhooks.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DeletionReport, ServiceEvent, SessionStatusReport } from '../contracts/jobs.ts';

/** Sends status reports and events. */
export interface Reporter {
  /** Records a finalize outcome with the Worker; retried on 5xx and network errors. */
  status(report: SessionStatusReport, signal?: AbortSignal): Promise<void>;
  /** Records what a delete job removed with the Worker; retried as `status` is. */
  deletion(report: DeletionReport, signal?: AbortSignal): Promise<void>;
  /** Publishes an event on the events queue, then reports it to the Worker for the tenant's webhooks. */
  event(event: ServiceEvent): Promise<void>;
}

/** The Worker refused a status report with a 4xx: the report or the token is wrong, retrying cannot help. */
export class StatusReportRejectedError extends Error {
  override name = 'StatusReportRejectedError';
  readonly status: number;
  readonly body: string;

  constructor(status: number, body: string) {
    super(`the Worker refused the status report with ${status}: ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

export interface ReporterOptions {
  /** The Worker's origin, without a trailing slash. */
  apiBase: string;
  internalToken: string;
  sqs: SQSClient;
  eventsQueueUrl: string;
  /** The testing seam for HTTP; the global `fetch` by default. */
  fetch?: typeof fetch;
  /** Waits between status attempts; the default gives four attempts over about 3.5 s. */
  retryDelaysMs?: readonly number[];
  /** How long one attempt may take before it counts as failed (a Worker that stalls, or its network); 30 s by default. */
  attemptTimeoutMs?: number;
}

/** The Worker's internal route for status reports. */
export const SESSION_STATUS_PATH = '/ies/api/v2/internal/session-status';
/** The Worker's internal route for deletion reports. */
export const DELETION_REPORT_PATH = '/ies/api/v2/internal/deletion-report';
/** The Worker's internal route for events, which it delivers to webhooks. */
export const EVENTS_PATH = '/ies/api/v2/internal/events';

const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000];

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** A reporter over the Worker's internal endpoint and the events queue. */
export function createReporter(o: ReporterOptions): Reporter {
  const send = o.fetch ?? fetch;
  const delays = o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const attemptTimeoutMs = o.attemptTimeoutMs ?? 30_000;
  /** POSTs a report to the Worker, retrying 5xx answers and network errors. */
  const post = async (path: string, body: string, signal?: AbortSignal) => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1] ?? 0, signal);
      try {
        const response = await send(`${o.apiBase}${path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${o.internalToken}`, 'Content-Type': 'application/json' },
          body,
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(attemptTimeoutMs)])
            : AbortSignal.timeout(attemptTimeoutMs),
        });
        if (response.ok) {
          await response.body?.cancel();
          return;
        }
        const text = await response.text();
        if (response.status < 500) throw new StatusReportRejectedError(response.status, text);
        lastError = new Error(`the Worker answered ${path} with ${response.status}: ${text.slice(0, 300)}`);
      } catch (error) {
        if (error instanceof StatusReportRejectedError || signal?.aborted) throw error;
        lastError = error;
      }
    }
    throw lastError;
  };
  return {
    status: (report, signal) =>
      post(SESSION_STATUS_PATH, JSON.stringify(SessionStatusReport.parse(report)), signal),
    deletion: (report, signal) =>
      post(DELETION_REPORT_PATH, JSON.stringify(DeletionReport.parse(report)), signal),
    async event(event) {
      const body = JSON.stringify(ServiceEvent.parse(event));
      await o.sqs.send(new SendMessageCommand({ QueueUrl: o.eventsQueueUrl, MessageBody: body }));
      try {
        await post(EVENTS_PATH, body);
      } catch (error) {
        // A session the Worker does not know has no tenant to deliver to; the queue has the event.
        if (!(error instanceof StatusReportRejectedError && error.status === 404)) throw error;
      }
    },
  };
}
