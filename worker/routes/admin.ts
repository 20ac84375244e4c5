/**
 * Onboarding: operators register tenants and issue, list and revoke their API keys (admin token); and
 * offboarding: erasing a tenant's recordings.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  ApiKeyList,
  CreateTenantBody,
  IssueApiKeyBody,
  IssuedApiKey,
  Tenant,
  TenantCreated,
  UpdateTenantBody,
} from '../../contracts/api.ts';
import { requireSecret } from '../auth/middleware.ts';
import { generateApiKey, sha256Hex } from '../auth/secrets.ts';
import { isDuplicateKey } from '../db/client.ts';
import { pendingDeletions, requestTenantDeletion } from '../db/deletions.ts';
import {
  apiKeyInfo,
  findApiKey,
  findTenant,
  insertApiKey,
  insertTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
  revokeTenantKeys,
  type TenantRow,
  updateTenant,
} from '../db/tenants.ts';
import { dispatchDeletions, RETENTION_BATCH } from '../erasure.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';

const admin = createRouter();
admin.use('*', requireSecret('ADMIN_TOKEN'));

const security = [{ AdminToken: [] }];
const TenantParams = z.object({ tenant_uuid: z.uuid() });
const KeyParams = TenantParams.extend({ api_key_id: z.uuid() });

function tenantView(row: TenantRow) {
  return {
    tenant_uuid: row.uuid,
    slug: row.slug,
    name: row.name,
    status: row.status,
    config: row.config ?? {},
  };
}

/** A key for a tenant: the secret in clear once, its hash in the table. */
async function newApiKey(tenantUuid: string, options: z.infer<typeof IssueApiKeyBody>) {
  const { key, visiblePrefix } = generateApiKey();
  const row = {
    uuid: crypto.randomUUID(),
    tenantUuid,
    keyHash: await sha256Hex(key),
    keyPrefix: visiblePrefix,
    label: options.label ?? null,
    scopes: options.scopes,
    expiresAt: options.expires_at ?? null,
  };
  return { key, row };
}

async function issuedView(
  db: Parameters<typeof findApiKey>[0],
  tenantUuid: string,
  uuid: string,
  key: string,
) {
  const stored = await findApiKey(db, tenantUuid, uuid);
  if (!stored) throw new Error(`api key ${uuid} vanished after insert`);
  return { ...apiKeyInfo(stored), api_key: key };
}

admin.openapi(
  createRoute({
    method: 'post',
    path: '/tenants',
    summary: 'Register a tenant and issue its first API key (shown once)',
    security,
    request: { body: jsonBody(CreateTenantBody) },
    responses: {
      201: jsonResponse('Registered', TenantCreated),
      ...errorResponses(400, 401, 409, 413, 415),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const db = c.get('db');
    const tenantUuid = crypto.randomUUID();
    const { key, row } = await newApiKey(tenantUuid, IssueApiKeyBody.parse(body.api_key ?? {}));
    try {
      await db.transaction(async (tx) => {
        await insertTenant(tx, { uuid: tenantUuid, slug: body.slug, name: body.name, config: body.config });
        await insertApiKey(tx, row);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ApiError('CONFLICT', `A tenant with slug ${body.slug} exists`);
      throw error;
    }
    const tenant = await findTenant(db, tenantUuid);
    if (!tenant) throw new Error(`tenant ${tenantUuid} vanished after insert`);
    return c.json({ ...tenantView(tenant), api_key: await issuedView(db, tenantUuid, row.uuid, key) }, 201);
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/tenants',
    summary: 'List every tenant (its config too: the lifecycle rules are built from it)',
    security,
    responses: {
      200: jsonResponse('The tenants', z.object({ tenants: z.array(Tenant) })),
      ...errorResponses(401),
    },
  }),
  async (c) => {
    const tenants = await listTenants(c.get('db'));
    return c.json({ tenants: tenants.map(tenantView) }, 200);
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenant_uuid}',
    summary: 'Read a tenant',
    security,
    request: { params: TenantParams },
    responses: {
      200: jsonResponse('The tenant', Tenant),
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const tenant = await findTenant(c.get('db'), c.req.valid('param').tenant_uuid);
    if (!tenant) throw new ApiError('NOT_FOUND', 'No such tenant');
    return c.json(tenantView(tenant), 200);
  },
);

admin.openapi(
  createRoute({
    method: 'patch',
    path: '/tenants/{tenant_uuid}',
    summary: 'Rename, configure, suspend or reactivate a tenant',
    security,
    request: { params: TenantParams, body: jsonBody(UpdateTenantBody) },
    responses: {
      200: jsonResponse('The updated tenant', Tenant),
      ...errorResponses(400, 401, 404, 413, 415),
    },
  }),
  async (c) => {
    const { tenant_uuid } = c.req.valid('param');
    const db = c.get('db');
    if (!(await findTenant(db, tenant_uuid))) throw new ApiError('NOT_FOUND', 'No such tenant');
    await updateTenant(db, tenant_uuid, c.req.valid('json'));
    const tenant = await findTenant(db, tenant_uuid);
    if (!tenant) throw new ApiError('NOT_FOUND', 'No such tenant');
    return c.json(tenantView(tenant), 200);
  },
);

admin.openapi(
  createRoute({
    method: 'post',
    path: '/tenants/{tenant_uuid}/api-keys',
    summary: 'Issue an API key (shown once)',
    security,
    request: { params: TenantParams, body: { ...jsonBody(IssueApiKeyBody), required: false } },
    responses: {
      201: jsonResponse('Issued', IssuedApiKey),
      ...errorResponses(400, 401, 404, 413, 415),
    },
  }),
  async (c) => {
    const { tenant_uuid } = c.req.valid('param');
    const db = c.get('db');
    if (!(await findTenant(db, tenant_uuid))) throw new ApiError('NOT_FOUND', 'No such tenant');
    const { key, row } = await newApiKey(tenant_uuid, IssueApiKeyBody.parse(c.req.valid('json') ?? {}));
    await insertApiKey(db, row);
    return c.json(await issuedView(db, tenant_uuid, row.uuid, key), 201);
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/tenants/{tenant_uuid}/api-keys',
    summary: 'List a tenant’s API keys (never the secrets)',
    security,
    request: { params: TenantParams },
    responses: {
      200: jsonResponse('The keys', ApiKeyList),
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant_uuid } = c.req.valid('param');
    const db = c.get('db');
    if (!(await findTenant(db, tenant_uuid))) throw new ApiError('NOT_FOUND', 'No such tenant');
    const keys = await listApiKeys(db, tenant_uuid);
    return c.json({ api_keys: keys.map(apiKeyInfo) }, 200);
  },
);

admin.openapi(
  createRoute({
    method: 'delete',
    path: '/tenants/{tenant_uuid}/api-keys/{api_key_id}',
    summary: 'Revoke an API key at once',
    security,
    request: { params: KeyParams },
    responses: { 204: { description: 'Revoked' }, ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const { tenant_uuid, api_key_id } = c.req.valid('param');
    if (!(await revokeApiKey(c.get('db'), tenant_uuid, api_key_id)))
      throw new ApiError('NOT_FOUND', 'No such API key');
    return c.body(null, 204);
  },
);

admin.openapi(
  createRoute({
    method: 'delete',
    path: '/tenants/{tenant_uuid}',
    summary: 'Erase a tenant: revoke its keys, make it inactive, delete every session it has',
    description:
      'Each session becomes a tombstone with a deletion report (reason `tenant_erasure`); the first batch of delete jobs is enqueued now, the rest by the scheduled run. The tenant row stays, so the reports and tombstones keep their owner.',
    security,
    request: { params: TenantParams },
    responses: {
      202: jsonResponse('Erasing', z.object({ tenant_uuid: z.uuid(), sessions_deleted: z.int() })),
      ...errorResponses(400, 401, 404, 503),
    },
  }),
  async (c) => {
    const { tenant_uuid } = c.req.valid('param');
    const db = c.get('db');
    if (!(await findTenant(db, tenant_uuid))) throw new ApiError('NOT_FOUND', 'No such tenant');
    await revokeTenantKeys(db, tenant_uuid);
    await updateTenant(db, tenant_uuid, { status: 'inactive' });
    const sessions = await requestTenantDeletion(db, tenant_uuid);
    const pending = await pendingDeletions(db, RETENTION_BATCH, { tenantUuid: tenant_uuid });
    await dispatchDeletions(db, c.get('config'), pending);
    return c.json({ tenant_uuid, sessions_deleted: sessions }, 202);
  },
);

export default admin;
