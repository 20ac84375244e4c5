/** Liveness with a real database round trip, for load balancers and the local stack. */
import { createRoute } from '@hono/zod-openapi';
import { Health } from '../../contracts/api.ts';
import { createRouter, jsonResponse } from '../http/router.ts';

const health = createRouter();

health.openapi(
  createRoute({
    method: 'get',
    path: '/health',
    summary: 'Service and database health',
    responses: {
      200: jsonResponse('Healthy', Health),
      503: jsonResponse('The database is unreachable', Health),
    },
  }),
  async (c) => {
    try {
      await c.get('db').execute('SELECT 1');
      return c.json({ status: 'ok' as const, database: 'ok' as const }, 200);
    } catch {
      return c.json({ status: 'degraded' as const, database: 'unreachable' as const }, 503);
    }
  },
);

export default health;
