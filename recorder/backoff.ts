/** Retry timing for uploads: exponential backoff with full jitter, and waits that the network cuts short. */

const BASE_MS = 1000;
const CAP_MS = 30_000;

/**
 * Delay before retry number `attempt` (from 1): a uniformly random time up to min(cap, base · 2^(attempt−1)),
 * so browsers that lost the network together do not retry in step ("full jitter", AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015).
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(CAP_MS, BASE_MS * 2 ** (attempt - 1)));
}

/** Resolves after `ms`, or at once when the browser comes back online or `wake` is called. */
export function pause(ms: number, wake?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      wake?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
    wake?.addEventListener('abort', done);
  });
}

/** Resolves once the browser says it is online. */
export function online(): Promise<void> {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('online', () => resolve(), { once: true }));
}
