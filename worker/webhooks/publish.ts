/**
 * An event reaches the tenant's webhooks: a delivery row per subscribed endpoint (MySQL), its retry
 * scheduled with the tenant's `WebhookDispatcher`, and then its first attempt in `waitUntil`, after the
 * response. Events come from the transcoder (`POST /internal/events`) and from the Worker itself
 * (`session.deleted`, when a session's delete job reports its objects removed).
 */
import type { Client } from '@planetscale/database';
import type { Context } from 'hono';
import type { WebhookEventType, WebhookPayload } from '../../contracts/webhooks.ts';
import { sha256Hex } from '../auth/secrets.ts';
import { insertDeliveries } from '../db/webhooks.ts';
import type { Bindings, Config } from '../env.ts';
import type { AppEnv } from '../http/router.ts';
import { attemptDelivery } from './deliver.ts';
import { webhookDispatcher } from './dispatcher.ts';

export interface WebhookEvent {
  type: WebhookEventType;
  tenantUuid: string;
  sessionUuid: string;
  occurredAt: string;
  data: Record<string, unknown>;
  /**
   * What makes the event itself: the same key is the same event, delivered once per endpoint however often
   * it is reported (the transcoder retries its reports; a delete job may report again).
   */
  identity: string;
}

export interface PublishContext {
  db: Pick<Client, 'execute'>;
  config: Config;
  env: Bindings;
  waitUntil: (promise: Promise<unknown>) => void;
}

/** Records the event's deliveries and starts them; resolves once they are recorded and scheduled. */
export async function publishWebhookEvent(ctx: PublishContext, event: WebhookEvent): Promise<number> {
  const id = `evt_${await sha256Hex(`${event.type}\n${event.identity}`)}`;
  const payload: WebhookPayload = {
    id,
    type: event.type,
    occurred_at: event.occurredAt,
    tenant_uuid: event.tenantUuid,
    session_uuid: event.sessionUuid,
    data: event.data,
  };
  const nowMs = Date.now();
  const deliveries = await insertDeliveries(ctx.db, {
    tenantUuid: event.tenantUuid,
    id,
    type: event.type,
    payload: JSON.stringify(payload),
    nowMs,
  });
  if (deliveries.length === 0) return 0;
  await webhookDispatcher(ctx.env, event.tenantUuid).schedule(
    deliveries.map((delivery) => ({
      deliveryUuid: delivery.uuid,
      dueMs: nowMs + ctx.config.WEBHOOK_RETRY_BASE_MS,
    })),
  );
  for (const delivery of deliveries) {
    ctx.waitUntil(
      attemptDelivery(ctx.db, ctx.config, delivery.uuid, Date.now()).catch((error: unknown) =>
        console.error(
          JSON.stringify({
            level: 'error',
            msg: 'webhook attempt failed',
            deliveryId: delivery.uuid,
            error: String(error),
          }),
        ),
      ),
    );
  }
  return deliveries.length;
}

/** The publishing context of a request: its database, configuration, bindings and `waitUntil`. */
export function requestPublishContext(c: Context<AppEnv>): PublishContext {
  return {
    db: c.get('db'),
    config: c.get('config'),
    env: c.env,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  };
}
