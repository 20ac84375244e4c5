/**
 * Drains the chunk queue: each chunk is POSTed to S3 with a presigned policy, then announced to the
 * service, and only then removed. Failures are retried with backoff and jitter; an offline browser waits
 * for `online`; a policy S3 refuses (403: expired or rejected) is fetched again.
 */
import type { Asset, UploadContentType } from '../contracts/storage.ts';
import { ensureOk, HttpError, type ServiceApi, type UploadPolicy } from './api.ts';
import { backoffMs, online, pause } from './backoff.ts';
import type { ChunkQueue, QueuedChunk } from './queue.ts';

/** Uploads at once: a screen chunk and a webcam chunk or screenshot side by side. */
const CONCURRENCY = 2;
/** A cached policy is renewed this long before it expires, so an upload never starts on a dying one. */
const POLICY_MARGIN_MS = 60_000;
/** An idle worker looks at the queue again at least this often (a chunk added by another tab). */
const IDLE_RECHECK_MS = 5000;

export interface UploaderHooks {
  /** S3 accepted the chunk's bytes. */
  landed(chunk: QueuedChunk): void;
  /** The chunk is in S3 and announced, and left the queue. */
  uploaded(chunk: QueuedChunk): void;
  failed(message: string): void;
}

/**
 * How long a POST policy lives: its expiration less its signing date, both the server's. Measured this
 * way and not against `Date.now()`, because the candidate's system clock may be set wrong.
 */
function policyLifetimeMs(policy: UploadPolicy): number {
  const { expiration } = JSON.parse(atob(policy.postFields.policy)) as { expiration: string };
  const signed = policy.postFields['x-amz-date'].replace(
    /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
    '$1-$2-$3T$4:$5:$6Z',
  );
  return Date.parse(expiration) - Date.parse(signed);
}

export class Uploader {
  private readonly inFlight = new Set<number>();
  private readonly attempts = new Map<number, number>();
  private readonly policies = new Map<string, { policy: UploadPolicy; renewAt: number }>();
  private readonly stopping = new AbortController();
  private wake = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private workers: Array<Promise<void>> = [];
  private readonly queue: ChunkQueue;
  private readonly api: ServiceApi;
  private readonly hooks: UploaderHooks;

  constructor(queue: ChunkQueue, api: ServiceApi, hooks: UploaderHooks) {
    this.queue = queue;
    this.api = api;
    this.hooks = hooks;
  }

  start(): void {
    this.workers = Array.from({ length: CONCURRENCY }, () => this.work());
  }

  /** A chunk was queued: idle workers look now. */
  notify(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  /** Resolves when the queue is empty, or after `timeoutMs`, whichever comes first. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops the workers; chunks still queued stay stored for the next page. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.notify();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const chunk = await this.take();
      if (!chunk) {
        await pause(IDLE_RECHECK_MS, AbortSignal.any([this.wake.signal, this.stopping.signal]));
        continue;
      }
      try {
        await this.upload(chunk);
        this.attempts.delete(chunk.id);
      } catch (error) {
        if (await this.settledByRefusal(chunk, error)) continue;
        const attempt = (this.attempts.get(chunk.id) ?? 0) + 1;
        this.attempts.set(chunk.id, attempt);
        this.hooks.failed(`${chunk.asset} ${chunk.name}: ${(error as Error).message}`);
        await online();
        await pause(backoffMs(attempt), this.stopping.signal);
      } finally {
        this.inFlight.delete(chunk.id);
      }
    }
  }

  /**
   * A chunk notice the service refuses for good is not retried: the session is gone (410), processed (409)
   * or the chunk lies outside its window (400); retrying would also hold an upload worker for ever. When the
   * object the notice names is not in S3 (404: removed since), the chunk is uploaded again. True when the
   * chunk was settled so.
   */
  private async settledByRefusal(chunk: QueuedChunk, error: unknown): Promise<boolean> {
    if (!(error instanceof HttpError) || !chunk.key || !error.message.startsWith('POST /session/chunks')) {
      return false;
    }
    if (error.status === 404) {
      await this.queue.landed(chunk, '');
      return true;
    }
    if (![400, 409, 410].includes(error.status)) return false;
    this.hooks.failed(`${chunk.asset} ${chunk.name} dropped: ${error.message}`);
    await this.queue.remove(chunk);
    this.attempts.delete(chunk.id);
    if (this.queue.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    return true;
  }

  /** The oldest chunk no other worker holds. */
  private async take(): Promise<QueuedChunk | undefined> {
    const chunk = (await this.queue.pending()).find((candidate) => !this.inFlight.has(candidate.id));
    if (chunk) this.inFlight.add(chunk.id);
    return chunk;
  }

  private async upload(chunk: QueuedChunk): Promise<void> {
    if (!chunk.key) {
      const policy = await this.policy(chunk.asset, chunk.contentType);
      const form = new FormData();
      for (const [field, value] of Object.entries(policy.postFields)) if (value) form.append(field, value);
      // S3 reads the file last, and names the object by the policy's `${filename}` key.
      form.append('file', chunk.blob, chunk.name);
      const response = await fetch(policy.url, { method: 'POST', body: form });
      if (response.status === 403) this.policies.delete(`${chunk.asset} ${chunk.contentType}`);
      await ensureOk(response, `S3 upload of ${chunk.name}`);
      await response.body?.cancel();
      await this.queue.landed(chunk, policy.postFields.key.replace(`\${filename}`, chunk.name));
      this.hooks.landed(chunk);
    }
    await this.api.notice(chunk.key ?? '');
    await this.queue.remove(chunk);
    this.hooks.uploaded(chunk);
    if (this.queue.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** A policy for the asset and type, reused until shortly before it expires. */
  private async policy(asset: Asset, contentType: UploadContentType): Promise<UploadPolicy> {
    const cacheKey = `${asset} ${contentType}`;
    const cached = this.policies.get(cacheKey);
    if (cached && performance.now() < cached.renewAt) return cached.policy;
    const fetchedAt = performance.now();
    const policy = await this.api.policy(asset, contentType);
    this.policies.set(cacheKey, { policy, renewAt: fetchedAt + policyLifetimeMs(policy) - POLICY_MARGIN_MS });
    return policy;
  }
}
