/** Bounded parallelism for many small S3 requests. */
import pLimit from 'p-limit';

/**
 * Maps over items with at most `limit` calls in flight, keeping the input order in the result.
 * The first rejection rejects the whole map; the calls already started or queued still run.
 */
export function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  return pLimit(limit).map(items, fn);
}
