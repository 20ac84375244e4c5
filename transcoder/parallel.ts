/**
 * Bounded parallelism, for many small S3 requests (multipart parts, segments, frames) and for the encodes a
 * job makes itself.
 */
import pLimit from 'p-limit';

/** Why the other calls of a map are stopped when one fails: not their own fault. */
export class SiblingFailedError extends Error {
  override readonly name = 'SiblingFailedError';
}

/**
 * Maps over items with at most `limit` calls in flight, keeping the input order in the result.
 *
 * The first failure aborts the signal every call is given (as does `signal`), with a
 * `SiblingFailedError` as the reason, so queued calls never start and running ones stop without taking
 * the blame; the map rejects with that first error once every started call has settled. So nothing the
 * map began still runs when it returns: no upload still reads a work file its caller is deleting, no
 * part is still sent when a multipart upload is aborted.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const failed = new AbortController();
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const run = pLimit(limit);
  const settled = await Promise.allSettled(
    items.map((item, index) =>
      run(async () => {
        stop.throwIfAborted();
        try {
          return await fn(item, index, stop);
        } catch (error) {
          if (!stop.aborted) {
            failed.abort(
              new SiblingFailedError('stopped: another call of the same map failed', { cause: error }),
            );
          }
          throw error;
        }
      }),
    ),
  );
  // The first failure is the cause of the reason the others were stopped with.
  if (failed.signal.aborted) throw (failed.signal.reason as SiblingFailedError).cause;
  const rejected = settled.find((result) => result.status === 'rejected');
  if (rejected) throw rejected.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<R>).value);
}
