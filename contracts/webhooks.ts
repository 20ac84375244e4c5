/**
 * Webhooks: the endpoints a tenant registers, the deliveries made to them, and the body each delivery
 * carries. Shared by the Worker (validation, OpenAPI) and the tests that play a tenant's receiver.
 */
import { z } from '@hono/zod-openapi';

/** What a tenant can subscribe to: the transcoder's events and the Worker's own `session.deleted`. */
export const WEBHOOK_EVENT_TYPES = [
  'session.processed',
  'session.failed',
  'session.deleted',
  'frames.available',
  'storyboard.available',
  'stitched_video.available',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The header a delivery is signed in: `t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'IES-Signature';

/** Loopback hosts: a developer's own receiver, reachable over plain http where the service allows it. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a host names the service's own side of the network rather than a tenant's public receiver: an
 * IPv4 literal in a loopback, private (RFC 1918), shared (RFC 6598), link-local or unspecified range, an
 * IPv6 literal that is loopback, unspecified, unique-local (fc00::/7), link-local (fe80::/10) or
 * IPv4-mapped, or a name under `localhost`, `.internal` or `.local`. Names that resolve inside are for the
 * network to refuse: the Worker cannot resolve them first.
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (/(^|\.)localhost$|\.internal$|\.local$/.test(host)) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
  if (v4) {
    const [a = 0, b = 0] = v4;
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.startsWith('[')) {
    const v6 = host.slice(1, -1);
    return (
      v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith('::ffff:')
    );
  }
  return false;
}

/** Whether `url` is plain http to a loopback address, which only a development stack allows. */
export const isLoopbackHttp = (url: string) => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && LOOPBACK.has(hostname);
};

export const WebhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((url) => {
    const { protocol, hostname } = new URL(url);
    return (protocol === 'https:' && !isInternalHost(hostname)) || isLoopbackHttp(url);
  }, 'must be https to a public host (http to a loopback address on a development stack only)')
  .openapi({ example: 'https://hooks.example.com/ies' });

export const CreateWebhookBody = z
  .strictObject({
    url: WebhookUrl,
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .refine((types) => new Set(types).size === types.length, 'must not repeat a type'),
    description: z.string().min(1).max(255).optional(),
  })
  .openapi('CreateWebhook');

export const Webhook = z
  .object({
    webhook_id: z.uuid(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    description: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi('Webhook');

/** The one response that carries the signing secret: it is shown once and never again. */
export const WebhookCreated = Webhook.extend({
  secret: z.string().openapi({ description: 'The signing secret, `whsec_…`: shown once' }),
}).openapi('WebhookCreated');
export const WebhookList = z.object({ webhooks: z.array(Webhook) }).openapi('WebhookList');

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const WebhookDelivery = z
  .object({
    delivery_id: z.uuid(),
    event_id: z.string(),
    event_type: z.enum(WEBHOOK_EVENT_TYPES),
    status: z.enum(DELIVERY_STATUSES),
    created_at: z.iso.datetime(),
    next_attempt_at: z.iso.datetime().nullable().openapi({ description: 'While pending' }),
    delivered_at: z.iso.datetime().nullable(),
    attempts: z.array(
      z.object({
        attempt: z.int(),
        attempted_at: z.iso.datetime(),
        response_status: z.int().nullable().openapi({ description: 'null when no answer came' }),
        error: z.string().nullable(),
        duration_ms: z.int(),
      }),
    ),
  })
  .openapi('WebhookDelivery');
export const WebhookDeliveryList = z
  .object({ deliveries: z.array(WebhookDelivery) })
  .openapi('WebhookDeliveryList');

/**
 * The body of every delivery: the event's id (the same on every attempt and retry; a receiver dedupes
 * on it), its type, when it happened and what it is about.
 */
export const WebhookPayload = z.object({
  id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  occurred_at: z.iso.datetime(),
  tenant_uuid: z.uuid(),
  session_uuid: z.uuid(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;
