/** Bounded parallelism, for many small S3 requests and for chunks that finalize encodes itself. */
import pLimit from 'p-limit';

/**
 * Maps over items with at most `limit` calls in flight, keeping the input order in the result.
 *
 * The first rejection aborts the signal every call is given (as does `signal`), so queued calls never
 * start and running ones can stop; the map rejects with that first error only once every started call
 * has settled. So nothing the map began still runs when it returns: no upload still reads a work file
 * that its caller is deleting, no part is still sent when a multipart upload is aborted.
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
          failed.abort(error);
          throw error;
        }
      }),
    ),
  );
  if (stop.aborted) throw stop.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<R>).value);
}
