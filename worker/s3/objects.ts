/** Server-side reads of the recordings bucket, signed with aws4fetch. */
import { awsFetch } from '../aws.ts';
import { type Config, s3Endpoint } from '../env.ts';
import { dependencyUnavailable } from '../http/errors.ts';

/** The object's URL, each key segment percent-encoded. */
export function objectUrl(config: Config, key: string): string {
  return `${s3Endpoint(config)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Sends a signed request for the object; storage unreachable, slow or failing is a retryable 503. */
export function fetchObject(config: Config, key: string, init: RequestInit): Promise<Response> {
  return awsFetch(config, 's3', objectUrl(config, key), init);
}

/** Whether an object exists under `key`. */
export async function objectExists(config: Config, key: string): Promise<boolean> {
  const response = await fetchObject(config, key, { method: 'HEAD' });
  await response.body?.cancel();
  if (response.ok) return true;
  if (response.status === 404 || response.status === 403) return false;
  throw dependencyUnavailable('storage', new Error(`HEAD answered ${response.status}`));
}
