import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client } from '@planetscale/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, startMariaDb } from '../../dev/stack/mariadb.ts';
import { listMigrations, migrate, splitStatements } from '../../dev/stack/migrate.ts';
import { type PsdbServer, startPsdbServer } from '../../dev/stack/psdb-server.ts';

const execFileAsync = promisify(execFile);
let dir: string;
let db: MariaDb;
const servers: PsdbServer[] = [];
let databases = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-migrate-'));
  db = await startMariaDb({ dataDir: join(dir, 'mariadb') });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An empty database behind its own PlanetScale HTTP server. */
async function freshDatabase(): Promise<{ client: Client; url: string }> {
  const database = `migrate_${++databases}`;
  await db.ensureDatabase(database);
  const server = await startPsdbServer({
    mysql: { host: '127.0.0.1', port: db.port, user: 'root', password: '', database },
    username: 'ies',
    password: 'local-secret',
  });
  servers.push(server);
  return { client: new Client({ url: server.url }), url: server.url };
}

async function migrationDir(files: Record<string, string>): Promise<string> {
  const path = await mkdtemp(join(dir, 'migrations-'));
  await Promise.all(Object.entries(files).map(([name, sql]) => writeFile(join(path, name), sql)));
  return path;
}

async function recorded(client: Client): Promise<string[]> {
  const { rows } = await client.execute<{ version: string }>(
    'SELECT version FROM schema_migrations WHERE applied_at IS NOT NULL ORDER BY version',
  );
  return rows.map((row) => row.version);
}

async function tables(client: Client): Promise<string[]> {
  const { rows } = await client.execute<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY name',
  );
  return rows.map((row) => row.name);
}

const THREE = {
  '0010_seed_tenant.sql': "INSERT INTO tenants (slug, plan) VALUES ('acme', 'pro');\n",
  '0002_add_plan.sql': "ALTER TABLE tenants\n  ADD COLUMN plan VARCHAR(20) NOT NULL DEFAULT 'free';\n",
  '0001_create_tenants.sql': [
    '-- Tenants own sessions.',
    'CREATE TABLE tenants (',
    '  id BIGINT AUTO_INCREMENT PRIMARY KEY,',
    '  slug VARCHAR(64) NOT NULL UNIQUE',
    ');',
    '',
    'CREATE INDEX idx_tenants_slug_prefix ON tenants (slug(8));',
  ].join('\n'),
  'README.md': 'Not a migration; ignored.',
};

describe('migrate', () => {
  it('applies migrations in numeric order and records each one', async () => {
    const { client } = await freshDatabase();
    const applied = await migrate(client, await migrationDir(THREE));
    expect(applied).toEqual(['0001_create_tenants', '0002_add_plan', '0010_seed_tenant']);
    expect(await recorded(client)).toEqual(applied);
    const { rows } = await client.execute('SELECT slug, plan FROM tenants');
    expect(rows).toEqual([{ slug: 'acme', plan: 'pro' }]);
  });

  it('skips applied migrations: a second run applies nothing, a new file alone runs later', async () => {
    const { client } = await freshDatabase();
    const path = await migrationDir(THREE);
    await migrate(client, path);
    expect(await migrate(client, path)).toEqual([]);
    await writeFile(join(path, '0011_seed_more.sql'), "INSERT INTO tenants (slug) VALUES ('globex');");
    expect(await migrate(client, path)).toEqual(['0011_seed_more']);
    const { rows } = await client.execute('SELECT slug FROM tenants ORDER BY slug');
    expect(rows).toEqual([{ slug: 'acme' }, { slug: 'globex' }]);
  });

  it('stops at a failing migration, does not record it, and resumes once it is fixed', async () => {
    const { client } = await freshDatabase();
    const path = await migrationDir({
      '0001_create_tenants.sql': 'CREATE TABLE tenants (id INT PRIMARY KEY);',
      '0002_broken.sql':
        'CREATE TABLE audits (id INT PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x INT;\n',
      '0003_create_sessions.sql': 'CREATE TABLE sessions (id INT PRIMARY KEY);',
    });
    const run = migrate(client, path);
    await expect(run).rejects.toThrow(/^0002_broken: statement 2 of 2 failed: .*no_such_table/);
    expect(await recorded(client)).toEqual(['0001_create_tenants']);
    const { rows } = await client.execute('SELECT COUNT(*) AS n FROM schema_migrations');
    expect(rows).toEqual([{ n: '1' }]);
    expect(await tables(client)).not.toContain('sessions');

    await writeFile(
      join(path, '0002_broken.sql'),
      'CREATE TABLE IF NOT EXISTS audits (id INT PRIMARY KEY);\nALTER TABLE tenants ADD COLUMN x INT;\n',
    );
    expect(await migrate(client, path)).toEqual(['0002_broken', '0003_create_sessions']);
    expect(await tables(client)).toEqual(['audits', 'schema_migrations', 'sessions', 'tenants']);
  });

  it('lets concurrent runners apply each migration exactly once, in order', async () => {
    const { url } = await freshDatabase();
    const files: Record<string, string> = { '0001_create_log.sql': 'CREATE TABLE log (n INT NOT NULL);' };
    for (let n = 2; n <= 8; n++) {
      files[`000${n}_append_${n}.sql`] =
        `INSERT INTO log (n) SELECT ${n} FROM DUAL WHERE (SELECT COUNT(*) FROM log) = ${n - 2};`;
    }
    const path = await migrationDir(files);
    const runs = await Promise.all(Array.from({ length: 4 }, () => migrate(new Client({ url }), path)));
    expect(runs.flat().sort()).toEqual(Object.keys(files).map((name) => name.replace('.sql', '')));
    const client = new Client({ url });
    const { rows } = await client.execute('SELECT n FROM log ORDER BY n');
    expect(rows.map((row) => row.n)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('waits for a migration another runner holds, and gives up with advice when it never finishes', async () => {
    const { client } = await freshDatabase();
    const path = await migrationDir({
      '0001_create_tenants.sql': 'CREATE TABLE tenants (id INT PRIMARY KEY);',
    });
    await client.execute(
      'CREATE TABLE schema_migrations (version VARCHAR(255) NOT NULL PRIMARY KEY, applied_at DATETIME(3) NULL)',
    );
    await client.execute("INSERT INTO schema_migrations (version) VALUES ('0001_create_tenants')");
    await expect(migrate(client, path, { waitForOtherRunnerMs: 300 })).rejects.toThrow(
      /0001_create_tenants: marked in progress .* delete its row from schema_migrations/,
    );

    // Far longer than the update takes, even on a loaded machine: the wait ends with the update, not by luck.
    const waiting = migrate(client, path, { waitForOtherRunnerMs: 120_000 });
    await sleep(300);
    await client.execute('UPDATE schema_migrations SET applied_at = CURRENT_TIMESTAMP(3)');
    expect(await waiting).toEqual([]);
  });

  it("applies the repository's migrations twice cleanly", async (context) => {
    const files = existsSync('migrations') ? await readdir('migrations') : [];
    if (!files.some((name) => name.endsWith('.sql'))) context.skip();
    const { client } = await freshDatabase();
    const versions = (await listMigrations('migrations')).map((migration) => migration.version);
    expect(await migrate(client)).toEqual(versions);
    expect(await migrate(client)).toEqual([]);
    expect(await recorded(client)).toEqual(versions);
  });
});

describe('listMigrations', () => {
  it('rejects misnamed .sql files and two files with one number', async () => {
    await expect(listMigrations(await migrationDir({ 'create_tenants.sql': '' }))).rejects.toThrow(
      /not named NNNN_name\.sql: create_tenants\.sql/,
    );
    await expect(
      listMigrations(await migrationDir({ '0001_a.sql': '', '0001_b.sql': '', '0002_c.sql': '' })),
    ).rejects.toThrow(/0001_a\.sql and 0001_b\.sql share a number/);
  });
});

describe('splitStatements', () => {
  it('ends a statement at a line ending in ";" and drops comment-only pieces', () => {
    const sql = [
      '-- header comment;',
      '',
      'CREATE TABLE a (',
      "  note VARCHAR(10) DEFAULT 'x;y'",
      ') ;  ',
      '# trailing comment',
      'INSERT INTO a VALUES (1);\r',
      "INSERT INTO a VALUES ('no semicolon at the end')",
      '-- done',
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE a (\n  note VARCHAR(10) DEFAULT 'x;y'\n)",
      '# trailing comment\nINSERT INTO a VALUES (1)',
      "INSERT INTO a VALUES ('no semicolon at the end')\n-- done",
    ]);
  });
});

describe('node dev/stack/migrate.ts', () => {
  it('applies migrations from DATABASE_URL and prints what it applied', async () => {
    const { url } = await freshDatabase();
    const path = await migrationDir(THREE);
    const { stdout } = await execFileAsync(process.execPath, ['dev/stack/migrate.ts', path], {
      env: { ...process.env, DATABASE_URL: url },
    });
    expect(JSON.parse(stdout)).toEqual({
      event: 'migrations_applied',
      dir: path,
      applied: ['0001_create_tenants', '0002_add_plan', '0010_seed_tenant'],
    });
  });

  it('exits 1 naming DATABASE_URL when it is missing', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const run = execFileAsync(process.execPath, ['dev/stack/migrate.ts'], { env });
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('DATABASE_URL is not set'),
    });
  });
});
