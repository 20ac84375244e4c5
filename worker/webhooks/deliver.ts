/**
 * One attempt of one delivery: claim it, sign the stored body with the endpoint's secret, POST it, and
 * record the answer. Used for the first attempt (in the request's `waitUntil`) and for every retry (by
 * the tenant's `WebhookDispatcher` alarm), so both behave alike.
 */
import type { Client } from '@planetscale/database';
import { SIGNATURE_HEADER } from '../../contracts/webhooks.ts';
import { claimAttempt, type DeliveryRow, findDelivery, findEndpoint, recordAttempt } from '../db/webhooks.ts';
import type { Config } from '../env.ts';
import { decryptSecret, signatureHeader } from './crypto.ts';
import { nextAttemptAt } from './schedule.ts';

/** A receiver gets this long to answer; no answer in time is a failed attempt. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** What is left to do for a delivery after an attempt: nothing, or another attempt at `dueMs`. */
export type AttemptOutcome = { done: true } | { done: false; dueMs: number };

/** The master secret endpoint secrets are encrypted under; registering a webhook needs it. */
export function webhookSecretKey(config: Config): string {
  if (!config.WEBHOOK_SECRET_KEY) throw new Error('WEBHOOK_SECRET_KEY is not configured');
  return config.WEBHOOK_SECRET_KEY;
}

async function send(url: string, secret: string, delivery: DeliveryRow, nowMs: number) {
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'IES-Webhooks/1',
        [SIGNATURE_HEADER]: await signatureHeader(secret, Math.floor(nowMs / 1000), delivery.payload),
        'IES-Event-Id': delivery.event_id,
        'IES-Delivery-Id': delivery.uuid,
      },
      body: delivery.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return {
      ok: response.status >= 200 && response.status < 300,
      response_status: response.status,
      error: null,
      duration_ms: Date.now() - started,
    };
  } catch (error) {
    return {
      ok: false,
      response_status: null,
      error: String(error).slice(0, 500),
      duration_ms: Date.now() - started,
    };
  }
}

/**
 * Makes the delivery's next attempt if it is due and no one else made it, and says what is left. A
 * delivery that is not due yet is left for `dueMs`; one whose endpoint was removed fails.
 */
export async function attemptDelivery(
  db: Pick<Client, 'execute'>,
  config: Config,
  deliveryUuid: string,
  nowMs: number,
): Promise<AttemptOutcome> {
  const delivery = await findDelivery(db, deliveryUuid);
  if (delivery?.status !== 'pending') return { done: true };
  const dueMs = Number(delivery.next_attempt_at_ms ?? nowMs);
  if (dueMs > nowMs) return { done: false, dueMs };
  const attempt = delivery.attempts + 1;
  const next = nextAttemptAt(Number(delivery.created_at_ms), attempt, config.WEBHOOK_RETRY_BASE_MS, nowMs);
  if (!(await claimAttempt(db, delivery, next))) {
    const current = await findDelivery(db, deliveryUuid);
    return current?.status === 'pending' && current.next_attempt_at_ms !== null
      ? { done: false, dueMs: Number(current.next_attempt_at_ms) }
      : { done: true };
  }
  const endpoint = await findEndpoint(db, delivery.tenant_uuid, delivery.endpoint_uuid);
  const result = endpoint
    ? await send(
        endpoint.url,
        await decryptSecret(
          webhookSecretKey(config),
          { tenantUuid: endpoint.tenant_uuid, endpointUuid: endpoint.uuid },
          endpoint.secret_ciphertext,
        ),
        delivery,
        nowMs,
      )
    : { ok: false, response_status: null, error: 'the endpoint was removed', duration_ms: 0 };
  const status = result.ok ? 'delivered' : endpoint && next !== null ? 'pending' : 'failed';
  await recordAttempt(
    db,
    {
      delivery_uuid: delivery.uuid,
      attempt,
      attempted_at_ms: nowMs,
      response_status: result.response_status,
      error: result.error,
      duration_ms: result.duration_ms,
    },
    { status, nowMs: Date.now() },
  );
  return status === 'pending' && next !== null ? { done: false, dueMs: next } : { done: true };
}
