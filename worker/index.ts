/**
 * Worker entry: the API, the scheduled retention run and the Durable Objects (per session, per tenant's
 * webhooks), nothing else.
 */
import app from './app.ts';
import { databaseClient } from './db/client.ts';
import { type Bindings, configFrom } from './env.ts';
import { enforceRetention } from './erasure.ts';

export { SessionClock } from './clock/session-clock.ts';
export { WebhookDispatcher } from './webhooks/dispatcher.ts';
export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    const config = configFrom(env);
    const run = enforceRetention(
      databaseClient(config.DATABASE_URL),
      config,
      new Date(controller.scheduledTime),
    );
    ctx.waitUntil(
      run.then(
        (outcome) => console.log(JSON.stringify({ level: 'info', msg: 'retention run', ...outcome })),
        (error: unknown) =>
          console.error(
            JSON.stringify({ level: 'error', msg: 'retention run failed', error: String(error) }),
          ),
      ),
    );
  },
} satisfies ExportedHandler<Bindings>;
