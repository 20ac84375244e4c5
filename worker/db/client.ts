/**
 * MySQL through PlanetScale's HTTP driver: one `Client` per request is only configuration, each query is
 * one HTTPS round trip, so nothing is pooled or kept between requests at the edge.
 */
import { Client, DatabaseError } from '@planetscale/database';
import { dependencyUnavailable } from '../http/errors.ts';

/**
 * Far longer than any query of this API takes (milliseconds on PlanetScale), so only a database that is
 * down or stalled reaches it, not a busy one: 3 s was reached by ten concurrent updates of one row on a
 * development machine at load average 15. Past it, the query counts as unavailable.
 */
const QUERY_TIMEOUT_MS = 8000;

/** Vitess error codes that say the database could not serve the query, not that the query is wrong. */
const UNAVAILABLE_CODES = new Set(['unavailable', 'deadline_exceeded', 'resource_exhausted', 'internal']);

/**
 * A client whose every query fails within QUERY_TIMEOUT_MS when the database is unreachable, stalled or
 * failing, with a 503 the client may retry: `fetch` is the driver's seam for its HTTP calls.
 */
export function databaseClient(url: string): Client {
  return new Client({
    url,
    fetch: async (input: string, init?: RequestInit) => {
      let response: Response;
      try {
        response = await fetch(input, { ...init, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
      } catch (error) {
        throw dependencyUnavailable('database', error);
      }
      if (response.status >= 500) {
        const detail = await response.text().catch(() => '');
        throw dependencyUnavailable(
          'database',
          new Error(`HTTP ${response.status}: ${detail.slice(0, 300)}`),
        );
      }
      return response;
    },
  });
}

/** The 503 for a query the database refused because it could not serve it, else the error as it was. */
export function asDatabaseOutage(error: unknown): unknown {
  const code = error instanceof DatabaseError ? String(error.body?.code ?? '').toLowerCase() : '';
  return UNAVAILABLE_CODES.has(code) ? dependencyUnavailable('database', error) : error;
}

/** MySQL error 1062 (ER_DUP_ENTRY): a unique key already holds the value. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof DatabaseError && /Duplicate entry|\b1062\b|AlreadyExists/i.test(error.message);
}

/** MySQL DATETIME text (`YYYY-MM-DD HH:MM:SS`, stored in UTC) as an ISO 8601 instant; null stays null. */
export function isoFromDatetime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return new Date(`${String(value).replace(' ', 'T')}Z`).toISOString();
}

/** An ISO 8601 instant as MySQL DATETIME text in UTC. */
export function datetimeFromIso(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}
