/**
 * Health for load balancers, operators and the local stack: one real round trip to each dependency, in
 * parallel and bounded by their timeouts, so it says which one is down and never hangs.
 */
import { createRoute } from '@hono/zod-openapi';
import { Health } from '../../contracts/api.ts';
import { awsFetch } from '../aws.ts';
import { createRouter, jsonResponse } from '../http/router.ts';
import { sqsEndpoint } from '../queue.ts';
import { objectUrl } from '../s3/objects.ts';

const health = createRouter();

/** 'ok' when the check resolves, 'unreachable' when it throws. */
const reach = (check: () => Promise<unknown>) =>
  check().then(
    () => 'ok' as const,
    () => 'unreachable' as const,
  );

health.openapi(
  createRoute({
    method: 'get',
    path: '/health',
    summary: 'Service health: the database, storage and the jobs queue',
    responses: {
      200: jsonResponse('Healthy', Health),
      503: jsonResponse('A dependency is unreachable; the body says which', Health),
    },
  }),
  async (c) => {
    const config = c.get('config');
    // Any answer short of a 5xx shows the service is there: the Worker's keys may read no such object
    // (403/404) and need no right to the queue's attributes (an SQS error answer).
    const [database, storage, queue] = await Promise.all([
      reach(() => c.get('db').execute('SELECT 1')),
      reach(async () => {
        const response = await awsFetch(config, 's3', objectUrl(config, 'proctor/ies/.health'), {
          method: 'HEAD',
        });
        await response.body?.cancel();
      }),
      reach(async () => {
        const response = await awsFetch(config, 'sqs', sqsEndpoint(config), {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-amz-json-1.0',
            'X-Amz-Target': 'AmazonSQS.GetQueueAttributes',
          },
          body: JSON.stringify({ QueueUrl: config.JOBS_QUEUE_URL, AttributeNames: ['QueueArn'] }),
        });
        await response.body?.cancel();
      }),
    ]);
    const ok = database === 'ok' && storage === 'ok' && queue === 'ok';
    return c.json(
      { status: ok ? ('ok' as const) : ('degraded' as const), database, storage, queue },
      ok ? 200 : 503,
    );
  },
);

export default health;
