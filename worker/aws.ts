/** Signed calls to S3 and SQS that never hang a request: a slow or failing service is a retryable 503. */
import { awsClient, type Config } from './env.ts';
import { dependencyUnavailable } from './http/errors.ts';

/**
 * Far longer than S3 and SQS take to start answering this API's small requests, so only a service that is
 * down or stalled reaches it; past it, the call counts as unavailable.
 */
const AWS_TIMEOUT_MS = 8000;

/**
 * Sends a SigV4-signed request to `service`. Unreachable, not answering within AWS_TIMEOUT_MS, or
 * answering 5xx after aws4fetch's own retries: a 503 with Retry-After. Any other answer is the caller's
 * to read. The limit is on the answer's start only: a playback body (a stitched video of hundreds of
 * megabytes) streams for as long as it takes.
 */
export async function awsFetch(config: Config, service: 's3' | 'sqs', url: string, init: RequestInit) {
  const dependency = service === 's3' ? 'storage' : 'queue';
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${AWS_TIMEOUT_MS} ms`)),
    AWS_TIMEOUT_MS,
  );
  let response: Response;
  try {
    response = await awsClient(config, service).fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    throw dependencyUnavailable(dependency, error);
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) {
    const detail = await response.text().catch(() => '');
    throw dependencyUnavailable(
      dependency,
      new Error(`${service} ${response.status}: ${detail.slice(0, 300)}`),
    );
  }
  return response;
}
