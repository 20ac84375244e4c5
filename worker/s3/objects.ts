/** Server-side reads of the recordings bucket, signed with aws4fetch. */
import { awsClient, type Config, s3Endpoint } from '../env.ts';
import { ApiError } from '../http/errors.ts';

/** The object's URL, each key segment percent-encoded. */
export function objectUrl(config: Config, key: string): string {
  return `${s3Endpoint(config)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** How long a client should wait before retrying a call that storage could not serve. */
const STORAGE_RETRY_AFTER_SECONDS = 5;

/** Sends a signed request for the object; storage unreachable or failing is a 503 the client can retry. */
export async function fetchObject(config: Config, key: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await awsClient(config, 's3').fetch(objectUrl(config, key), init);
  } catch (error) {
    throw new ApiError('SERVICE_UNAVAILABLE', 'Storage is unreachable; retry later', {
      cause: error,
      retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
    });
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new ApiError('SERVICE_UNAVAILABLE', 'Storage unavailable; retry later', {
      cause: new Error(`S3 ${response.status}`),
      retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
    });
  }
  return response;
}

/** Whether an object exists under `key`. */
export async function objectExists(config: Config, key: string): Promise<boolean> {
  const response = await fetchObject(config, key, { method: 'HEAD' });
  await response.body?.cancel();
  if (response.ok) return true;
  if (response.status === 404 || response.status === 403) return false;
  throw new ApiError('SERVICE_UNAVAILABLE', `Storage refused to describe the object (${response.status})`, {
    retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
  });
}
