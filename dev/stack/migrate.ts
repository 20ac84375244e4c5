import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type Connection } from '@planetscale/database';

/** What `migrate` runs SQL through: a `Connection` or a `Client` from `@planetscale/database`. */
export type SqlExecutor = Pick<Connection, 'execute'>;

export interface Migration {
  /** The file name without `.sql`, e.g. `0001_seed_tables`; the key in `schema_migrations`. */
  version: string;
  path: string;
}

export interface MigrateOptions {
  /** How long to wait for another runner that is applying the same migration. Default 2 minutes. */
  waitForOtherRunnerMs?: number;
}

const FILE_NAME = /^(\d+)_[\w-]+\.sql$/;
const POLL_MS = 200;

/**
 * The `NNNN_name.sql` files in `dir`, in numeric order. Throws on a `.sql` file named otherwise
 * and on two files with the same number; other files (a README) are ignored.
 */
export async function listMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql'));
  const misnamed = files.filter((name) => !FILE_NAME.test(name));
  if (misnamed.length > 0) throw new Error(`${dir}: not named NNNN_name.sql: ${misnamed.join(', ')}`);
  const numbered = files.map((name) => ({ name, number: Number(FILE_NAME.exec(name)?.[1]) }));
  numbered.sort((a, b) => a.number - b.number);
  numbered.forEach(({ name, number }, i) => {
    const previous = numbered[i - 1];
    if (previous?.number === number) throw new Error(`${dir}: ${previous.name} and ${name} share a number`);
  });
  return numbered.map(({ name }) => ({ version: name.slice(0, -'.sql'.length), path: join(dir, name) }));
}

/**
 * Splits a migration file into statements. The rule is textual: a statement ends at a line whose
 * last non-blank character is `;`, so a line inside a string literal or a comment must not end in
 * `;`. Pieces holding only blank and `--` or `#` comment lines are dropped; the final `;` is not sent.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let lines: string[] = [];
  const endStatement = () => {
    const hasCode = lines.some((line) => line.trim() !== '' && !/^\s*(--|#)/.test(line));
    const statement = lines.join('\n').trim().replace(/;$/, '').trimEnd();
    if (hasCode && statement !== '') statements.push(statement);
    lines = [];
  };
  for (const line of sql.split(/\r?\n/)) {
    lines.push(line);
    if (line.trimEnd().endsWith(';')) endStatement();
  }
  endStatement();
  return statements;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** False when another runner holds the version's row: MySQL error 1062, duplicate key. */
async function claim(conn: SqlExecutor, version: string): Promise<boolean> {
  try {
    await conn.execute('INSERT INTO schema_migrations (version) VALUES (?)', [version]);
    return true;
  } catch (err) {
    if (messageOf(err).includes('(errno 1062)')) return false;
    throw err;
  }
}

async function waitForOtherRunner(conn: SqlExecutor, version: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const { rows } = await conn.execute<{ applied_at: string | null }>(
      'SELECT applied_at FROM schema_migrations WHERE version = ?',
      [version],
    );
    if (rows.length === 0) throw new Error(`${version}: another runner failed to apply it`);
    if (rows[0]?.applied_at) return;
    await sleep(POLL_MS);
  }
  throw new Error(
    `${version}: marked in progress for over ${waitMs} ms. If no other runner is active, one died mid-way: ` +
      'check the schema by hand, delete its row from schema_migrations and run again',
  );
}

async function apply(conn: SqlExecutor, migration: Migration): Promise<void> {
  const statements = splitStatements(await readFile(migration.path, 'utf8'));
  for (const [i, statement] of statements.entries()) {
    try {
      await conn.execute(statement);
    } catch (err) {
      // DDL commits implicitly in MySQL, so the statements before this one stay applied.
      const failure = new Error(
        `${migration.version}: statement ${i + 1} of ${statements.length} failed: ${messageOf(err)}`,
        { cause: err },
      );
      try {
        await conn.execute('DELETE FROM schema_migrations WHERE version = ?', [migration.version]);
      } catch (cleanup) {
        failure.message += `; its schema_migrations row could not be removed: ${messageOf(cleanup)}`;
      }
      throw failure;
    }
  }
  await conn.execute('UPDATE schema_migrations SET applied_at = CURRENT_TIMESTAMP(3) WHERE version = ?', [
    migration.version,
  ]);
}

/**
 * Applies the migrations in `dir` that `schema_migrations` does not list as applied, in order, and
 * resolves to the versions this call applied. A runner claims a migration by inserting its row
 * (`applied_at` NULL until done); a runner that finds the row taken waits for the other to finish,
 * so concurrent runners apply each file once and in order. A failing migration stops the run and
 * its row is removed.
 */
export async function migrate(
  conn: SqlExecutor,
  dir = 'migrations',
  options: MigrateOptions = {},
): Promise<string[]> {
  const migrations = await listMigrations(dir);
  await conn.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR(255) NOT NULL PRIMARY KEY, applied_at DATETIME(3) NULL)',
  );
  const { rows } = await conn.execute<{ version: string }>(
    'SELECT version FROM schema_migrations WHERE applied_at IS NOT NULL',
  );
  const done = new Set(rows.map((row) => row.version));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    if (await claim(conn, migration.version)) {
      await apply(conn, migration);
      applied.push(migration.version);
    } else {
      await waitForOtherRunner(conn, migration.version, options.waitForOtherRunnerMs ?? 120_000);
    }
  }
  return applied;
}

if (import.meta.main) {
  const url = process.env.DATABASE_URL;
  const dir = process.argv[2] ?? 'migrations';
  if (!url) {
    console.error(
      "DATABASE_URL is not set: use the PlanetScale connection URL, or the local stack's http://user:pass@127.0.0.1:PORT",
    );
    process.exit(1);
  }
  try {
    const applied = await migrate(new Client({ url }), dir);
    console.log(JSON.stringify({ event: 'migrations_applied', dir, applied }));
  } catch (err) {
    console.error(JSON.stringify({ event: 'migration_failed', dir, message: messageOf(err) }));
    process.exitCode = 1;
  }
}
