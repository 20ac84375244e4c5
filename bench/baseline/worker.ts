/**
 * The smallest Worker: the floor that `wrangler dev` on this machine puts under any route. `/log` adds
 * what every API request also does, the API's own request log middleware writing its one line: under
 * wrangler dev each console line travels to wrangler over the inspector protocol, a cost a deployed
 * Worker does not pay in the same place.
 */
import { Hono } from 'hono';
import { requestLog } from '../../worker/http/request-log.ts';
import type { AppEnv } from '../../worker/http/router.ts';

const logged = new Hono<AppEnv>();
logged.use('*', async (c, next) => {
  c.set('requestId', crypto.randomUUID());
  await next();
});
logged.use('*', requestLog);
logged.get('*', (c) => c.text('ok'));

export default {
  fetch: (request) => (new URL(request.url).pathname === '/log' ? logged.fetch(request) : new Response('ok')),
} satisfies ExportedHandler;
