/** The operator CLI drives the admin API: create a tenant, issue, list and revoke keys. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stack, withKey } from './support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

async function cli(...args: string[]) {
  const { stdout } = await promisify(execFile)(
    `${ROOT}node_modules/.bin/node`,
    ['dev/tenant-cli.ts', ...args, '--api-base', stack.apiBase, '--admin-token', stack.adminToken],
    { cwd: ROOT },
  );
  return stdout.trim();
}

describe('npm run tenant', () => {
  it('creates a tenant and prints {tenant_uuid, api_key} with --json; the key works; revoke ends it', async () => {
    const created = JSON.parse(
      await cli('create', '--slug', `cli-${Date.now()}`, '--name', 'CLI tenant', '--json'),
    );
    expect(created).toMatchObject({
      tenant_uuid: expect.any(String),
      api_key: expect.stringMatching(/^ies_/),
    });
    const tenant = withKey(created.tenant_uuid, created.api_key, created.api_key_id);
    expect(
      (await tenant.as('POST', '/session', { unique_identifier: 'cli', session_metadata: {} })).status,
    ).toBe(201);

    const issued = JSON.parse(
      await cli('issue-key', '--tenant', created.tenant_uuid, '--scopes', 'session:read', '--json'),
    );
    const listed = JSON.parse(await cli('list-keys', '--tenant', created.tenant_uuid, '--json')) as Array<{
      api_key_id: string;
      scopes: string[];
    }>;
    expect(listed.map((key) => key.api_key_id).sort()).toEqual(
      [created.api_key_id, issued.api_key_id].sort(),
    );

    await cli('revoke-key', '--tenant', created.tenant_uuid, '--key', created.api_key_id);
    expect((await tenant.as('GET', '/session?unique_identifier=cli')).status).toBe(401);
  });

  it('exits non-zero with the API error on a bad request', async () => {
    await expect(cli('create', '--slug', 'Not A Slug', '--name', 'x')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('400 BAD_REQUEST'),
    });
  });
});
