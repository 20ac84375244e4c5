/**
 * MySQL through PlanetScale's HTTP driver: one `Client` per request is only configuration, each query is
 * one HTTPS round trip, so nothing is pooled or kept between requests at the edge.
 */
import { Client, DatabaseError } from '@planetscale/database';

export function databaseClient(url: string): Client {
  return new Client({ url });
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
