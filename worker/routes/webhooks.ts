/**
 * Webhook endpoints: a tenant registers, lists and removes them with a key holding `webhooks:manage`
 * (`/webhooks…`), and operators do the same for any tenant with the admin token
 * (`/admin/tenants/<uuid>/webhooks…`). The same handlers serve both; only who names the tenant differs.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import {
  CreateWebhookBody,
  isLoopbackHttp,
  WebhookCreated,
  WebhookDeliveryList,
  WebhookList,
  Webhook as WebhookSchema,
} from '../../contracts/webhooks.ts';
import { requireApiKey, requireSecret } from '../auth/middleware.ts';
import { isoFromDatetime } from '../db/client.ts';
import { findTenant } from '../db/tenants.ts';
import {
  deleteEndpoint,
  type EndpointRow,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
} from '../db/webhooks.ts';
import { ApiError } from '../http/errors.ts';
import { type AppEnv, createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';
import { encryptSecret, generateWebhookSecret } from '../webhooks/crypto.ts';
import { webhookSecretKey } from '../webhooks/deliver.ts';

/** Deliveries listed per endpoint, newest first. */
const DELIVERIES_LISTED = 100;

const iso = (ms: string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function webhookView(row: EndpointRow) {
  return {
    webhook_id: row.uuid,
    url: row.url,
    events: row.event_types,
    description: row.description,
    created_at: isoFromDatetime(row.created_at) ?? '',
  };
}

interface Mount {
  /** Path of the collection, e.g. `/webhooks` or `/tenants/{tenant_uuid}/webhooks`. */
  path: string;
  params: z.ZodObject;
  security: Array<Record<string, string[]>>;
  middleware: MiddlewareHandler<AppEnv>;
  /** The tenant the request acts for; throws 404 when there is none. */
  tenantOf: (c: Context<AppEnv>) => Promise<string>;
}

const WebhookParams = z.object({ webhook_id: z.uuid() });

/** The tenant's endpoint named in the path, else 404. */
async function endpointOf(c: Context<AppEnv>, mount: Mount) {
  const tenantUuid = await mount.tenantOf(c);
  const endpoint = await findEndpoint(c.get('db'), tenantUuid, c.req.param('webhook_id') ?? '');
  if (!endpoint) throw new ApiError('NOT_FOUND', 'No such webhook');
  return endpoint;
}

/** Registers the webhook routes on `router` under `mount`. */
function mountWebhooks(router: OpenAPIHono<AppEnv>, mount: Mount) {
  const item = `${mount.path}/{webhook_id}`;
  const itemParams = mount.params.extend(WebhookParams.shape);
  const common = { security: mount.security, middleware: mount.middleware };

  router.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: mount.path,
      summary: 'Register a webhook endpoint; its signing secret is in this answer only',
      description:
        'Deliveries are POSTed as JSON with `IES-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`, `IES-Event-Id` and `IES-Delivery-Id`. A 2xx answer within 10 s accepts one; anything else is retried with exponential backoff for 24 hours.',
      request: { params: mount.params, body: jsonBody(CreateWebhookBody) },
      responses: {
        201: jsonResponse('Registered', WebhookCreated),
        ...errorResponses(400, 401, 403, 404, 413, 415),
      },
    }),
    async (c) => {
      const tenantUuid = await mount.tenantOf(c);
      // Validated by the route; its type is lost to the mount's generic params.
      const body = c.req.valid('json' as never) as z.infer<typeof CreateWebhookBody>;
      if (isLoopbackHttp(body.url) && c.get('config').WEBHOOK_ALLOW_LOOPBACK !== 'true') {
        throw new ApiError('BAD_REQUEST', 'url: must be https to a public host');
      }
      const uuid = crypto.randomUUID();
      const secret = generateWebhookSecret();
      const masterSecret = webhookSecretKey(c.get('config'));
      await insertEndpoint(c.get('db'), {
        uuid,
        tenant_uuid: tenantUuid,
        url: body.url,
        event_types: body.events,
        description: body.description ?? null,
        secret_ciphertext: await encryptSecret(masterSecret, { tenantUuid, endpointUuid: uuid }, secret),
      });
      const row = await findEndpoint(c.get('db'), tenantUuid, uuid);
      if (!row) throw new Error(`webhook ${uuid} vanished after insert`);
      return c.json({ ...webhookView(row), secret }, 201);
    },
  );

  router.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: mount.path,
      summary: 'List webhook endpoints (never their secrets)',
      request: { params: mount.params },
      responses: { 200: jsonResponse('The endpoints', WebhookList), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const rows = await listEndpoints(c.get('db'), await mount.tenantOf(c));
      return c.json({ webhooks: rows.map(webhookView) }, 200);
    },
  );

  router.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: item,
      summary: 'Read a webhook endpoint',
      request: { params: itemParams },
      responses: { 200: jsonResponse('The endpoint', WebhookSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(webhookView(await endpointOf(c, mount)), 200),
  );

  router.openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: item,
      summary: 'Remove a webhook endpoint: nothing more is delivered to it',
      request: { params: itemParams },
      responses: { 204: { description: 'Removed' }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const endpoint = await endpointOf(c, mount);
      await deleteEndpoint(c.get('db'), endpoint.tenant_uuid, endpoint.uuid);
      return c.body(null, 204);
    },
  );

  router.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `${item}/deliveries`,
      summary: `The endpoint’s last ${DELIVERIES_LISTED} deliveries, newest first, each with its attempts`,
      request: { params: itemParams },
      responses: {
        200: jsonResponse('The deliveries', WebhookDeliveryList),
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const endpoint = await endpointOf(c, mount);
      const listed = await listDeliveries(c.get('db'), endpoint.uuid, DELIVERIES_LISTED);
      return c.json(
        {
          deliveries: listed.map(({ delivery, attempts }) => ({
            delivery_id: delivery.uuid,
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            status: delivery.status,
            created_at: iso(delivery.created_at_ms) ?? '',
            next_attempt_at: iso(delivery.next_attempt_at_ms),
            delivered_at: iso(delivery.delivered_at_ms),
            attempts: attempts.map((attempt) => ({
              attempt: Number(attempt.attempt),
              attempted_at: iso(attempt.attempted_at_ms) ?? '',
              response_status: attempt.response_status === null ? null : Number(attempt.response_status),
              error: attempt.error,
              duration_ms: Number(attempt.duration_ms),
            })),
          })),
        },
        200,
      );
    },
  );
}

/** The tenant's own endpoints, with an API key holding `webhooks:manage`. */
export const tenantWebhooks = createRouter();
mountWebhooks(tenantWebhooks, {
  path: '/webhooks',
  params: z.object({}),
  security: [{ ApiKey: [] }],
  middleware: requireApiKey('webhooks:manage'),
  tenantOf: async (c) => c.get('principal').tenantUuid,
});

/** Any tenant's endpoints, with the admin token. */
export const adminWebhooks = createRouter();
mountWebhooks(adminWebhooks, {
  path: '/tenants/{tenant_uuid}/webhooks',
  params: z.object({ tenant_uuid: z.uuid() }),
  security: [{ AdminToken: [] }],
  middleware: requireSecret('ADMIN_TOKEN'),
  tenantOf: async (c) => {
    const tenant = await findTenant(c.get('db'), c.req.param('tenant_uuid') ?? '');
    if (!tenant) throw new ApiError('NOT_FOUND', 'No such tenant');
    return tenant.uuid;
  },
});
