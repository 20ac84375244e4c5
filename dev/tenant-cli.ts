/**
 * Operator CLI for onboarding, through the admin API (the same code path as any operator tool):
 *   npm run tenant -- create --slug S --name N [--json]
 *   npm run tenant -- issue-key --tenant UUID [--label L] [--scopes a,b] [--expires-at ISO] [--json]
 *   npm run tenant -- list-keys --tenant UUID
 *   npm run tenant -- revoke-key --tenant UUID --key KEY_UUID
 *   npm run tenant -- lifecycle-rules [--out infra/lifecycle-rules.json]
 * The API base and admin token come from --api-base/--admin-token, IES_API_BASE/IES_ADMIN_TOKEN, or the
 * running local stack's .local/stack.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { lifecycleRules } from '../contracts/deletion.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    slug: { type: 'string' },
    name: { type: 'string' },
    tenant: { type: 'string' },
    key: { type: 'string' },
    label: { type: 'string' },
    scopes: { type: 'string' },
    'expires-at': { type: 'string' },
    'api-base': { type: 'string' },
    'admin-token': { type: 'string' },
    out: { type: 'string', default: 'infra/lifecycle-rules.json' },
    json: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function target(): { apiBase: string; adminToken: string } {
  const local = existsSync('.local/stack.json')
    ? (JSON.parse(readFileSync('.local/stack.json', 'utf8')) as { apiBase: string; adminToken: string })
    : undefined;
  const apiBase = values['api-base'] ?? process.env.IES_API_BASE ?? local?.apiBase;
  const adminToken = values['admin-token'] ?? process.env.IES_ADMIN_TOKEN ?? local?.adminToken;
  if (!apiBase || !adminToken)
    fail('No API base or admin token: pass --api-base and --admin-token, or run npm start');
  return { apiBase, adminToken };
}

function need(name: 'slug' | 'name' | 'tenant' | 'key'): string {
  return values[name] ?? fail(`--${name} is required`);
}

async function call(method: string, path: string, body?: object): Promise<Record<string, unknown> | null> {
  const { apiBase, adminToken } = target();
  const response = await fetch(`${apiBase}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  if (!response.ok) {
    const error = parsed?.error as { code?: string; message?: string } | undefined;
    fail(`${response.status} ${error?.code ?? ''}: ${error?.message ?? text}`);
  }
  return parsed;
}

function keyOptions() {
  return {
    ...(values.label ? { label: values.label } : {}),
    ...(values.scopes ? { scopes: values.scopes.split(',') } : {}),
    ...(values['expires-at'] ? { expires_at: values['expires-at'] } : {}),
  };
}

function print(human: string, json: object) {
  console.log(values.json ? JSON.stringify(json) : human);
}

switch (positionals[0]) {
  case 'create': {
    const tenant = await call('POST', '/tenants', {
      slug: need('slug'),
      name: need('name'),
      api_key: keyOptions(),
    });
    const key = tenant?.api_key as { api_key: string; api_key_id: string };
    print(`Tenant ${tenant?.slug} ${tenant?.tenant_uuid}\nAPI key (shown once): ${key.api_key}`, {
      tenant_uuid: tenant?.tenant_uuid,
      api_key: key.api_key,
      api_key_id: key.api_key_id,
    });
    break;
  }
  case 'issue-key': {
    const key = await call('POST', `/tenants/${need('tenant')}/api-keys`, keyOptions());
    print(`API key ${key?.api_key_id} (shown once): ${key?.api_key}`, {
      api_key_id: key?.api_key_id,
      api_key: key?.api_key,
    });
    break;
  }
  case 'list-keys': {
    const list = await call('GET', `/tenants/${need('tenant')}/api-keys`);
    console.log(JSON.stringify(list?.api_keys, null, values.json ? 0 : 2));
    break;
  }
  case 'revoke-key': {
    await call('DELETE', `/tenants/${need('tenant')}/api-keys/${need('key')}`);
    print(`Revoked ${values.key}`, { revoked: values.key });
    break;
  }
  case 'lifecycle-rules': {
    // The bucket's lifecycle rules from every tenant's retention config, for infra/ to apply.
    const list = await call('GET', '/tenants');
    const tenants = list?.tenants as Array<{ tenant_uuid: string; config: Record<string, unknown> }>;
    const rules = lifecycleRules(tenants.map((t) => ({ uuid: t.tenant_uuid, config: t.config })));
    writeFileSync(values.out, `${JSON.stringify(rules, null, 2)}\n`);
    print(`${rules.length} lifecycle rules for ${tenants.length} tenants in ${values.out}`, {
      rules: rules.length,
      out: values.out,
    });
    break;
  }
  default:
    fail(
      'usage: npm run tenant -- create|issue-key|list-keys|revoke-key|lifecycle-rules [options] (see dev/tenant-cli.ts)',
    );
}
