/**
 * One structured line per request, for Workers Logs (`[observability]` in wrangler.toml) or `wrangler
 * tail`: request id, tenant, route pattern, status and duration. The route is the pattern, never the
 * path: playback paths carry a token that grants access. Inside a Worker, `Date.now()` advances only
 * across I/O (Cloudflare's Spectre mitigation), so a duration counts the waits on the database, S3 and
 * SQS, which is where a request's time goes.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './router.ts';

export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  await next();
  console.log(
    JSON.stringify({
      level: 'info',
      msg: 'request',
      requestId: c.get('requestId'),
      tenantId: c.get('principal')?.tenantUuid ?? null,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Date.now() - started,
    }),
  );
};
