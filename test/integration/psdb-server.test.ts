import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, connect, DatabaseError } from '@planetscale/database';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MariaDb, startMariaDb } from '../../dev/stack/mariadb.ts';
import { type PsdbServer, startPsdbServer } from '../../dev/stack/psdb-server.ts';

const DATABASE = 'psdb_test';
let dir: string;
let db: MariaDb;
let server: PsdbServer;
let client: Client;

function mysqlOptions() {
  return { host: '127.0.0.1', port: db.port, user: 'root', password: '', database: DATABASE };
}

async function rejection(promise: Promise<unknown>): Promise<DatabaseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatabaseError);
  return err as DatabaseError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-psdb-'));
  db = await startMariaDb({ dataDir: join(dir, 'mariadb') });
  await db.ensureDatabase(DATABASE);
  server = await startPsdbServer({ mysql: mysqlOptions(), username: 'ies', password: 'local-secret' });
  client = new Client({ url: server.url });
  await client.execute(`CREATE TABLE samples (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    label VARCHAR(100) NOT NULL UNIQUE,
    tiny TINYINT NULL, small SMALLINT NULL, medium MEDIUMINT NULL, regular INT NULL, unsigned_int INT UNSIGNED NULL,
    big BIGINT NULL, ubig BIGINT UNSIGNED NULL, price DECIMAL(10,2) NULL, ratio DOUBLE NULL,
    doc JSON NULL, raw VARBINARY(64) NULL, payload BLOB NULL, note TEXT NULL,
    happened_at DATETIME(3) NULL, stamped_at TIMESTAMP(3) NULL DEFAULT NULL, day DATE NULL
  )`);
});

afterAll(async () => {
  await server?.stop();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await client.execute('DELETE FROM samples');
});

describe('values through the driver', () => {
  it('returns NULL as null for every column type', async () => {
    await client.execute('INSERT INTO samples (label) VALUES (?)', ['nulls']);
    const { rows } = await client.execute('SELECT * FROM samples WHERE label = ?', ['nulls']);
    const { id, label, ...rest } = rows[0] as Record<string, unknown>;
    expect(label).toBe('nulls');
    expect(Object.values(rest)).toHaveLength(16);
    for (const value of Object.values(rest)) expect(value).toBeNull();
  });

  it('parses JSON objects and arrays, from columns and from JSON functions', async () => {
    const doc = { flags: ['tab_switch'], nested: { at: 12.5, ok: true, none: null }, text: 'Prüfung 🎥' };
    await client.execute('INSERT INTO samples (label, doc) VALUES (?, ?), (?, ?)', [
      'object',
      JSON.stringify(doc),
      'array',
      JSON.stringify([1, 'two', null, { three: 3 }]),
    ]);
    const { rows } = await client.execute('SELECT label, doc FROM samples ORDER BY label');
    expect(rows).toEqual([
      { label: 'array', doc: [1, 'two', null, { three: 3 }] },
      { label: 'object', doc },
    ]);
    const built = await client.execute("SELECT JSON_OBJECT('a', 1) AS obj, JSON_ARRAY(1, 2) AS arr");
    expect(built.rows).toEqual([{ obj: { a: 1 }, arr: [1, 2] }]);
    expect(built.types).toEqual({ obj: 'JSON', arr: 'JSON' });
  });

  it('keeps BIGINT and DECIMAL as strings and turns smaller integers and doubles into numbers', async () => {
    await client.execute(
      `INSERT INTO samples (label, tiny, small, medium, regular, unsigned_int, big, ubig, price, ratio)
       VALUES ('numbers', -128, -32768, 8388607, -2147483648, 4294967295, 9007199254740993, 18446744073709551615, 12.50, 0.25)`,
    );
    const { rows, types } = await client.execute(
      "SELECT tiny, small, medium, regular, unsigned_int, big, ubig, price, ratio, COUNT(*) OVER () AS n FROM samples WHERE label = 'numbers'",
    );
    expect(rows[0]).toEqual({
      tiny: -128,
      small: -32768,
      medium: 8388607,
      regular: -2147483648,
      unsigned_int: 4294967295,
      big: '9007199254740993',
      ubig: '18446744073709551615',
      price: '12.50',
      ratio: 0.25,
      n: '1',
    });
    expect(types).toMatchObject({ tiny: 'INT8', unsigned_int: 'UINT32', big: 'INT64', ubig: 'UINT64' });
  });

  it('returns DATETIME, TIMESTAMP and DATE as the strings MySQL wrote, in UTC', async () => {
    await client.execute('INSERT INTO samples (label, happened_at, stamped_at, day) VALUES (?, ?, ?, ?)', [
      'times',
      new Date('2026-03-01T12:34:56.789Z'),
      '2026-03-01 23:59:59.001',
      '2026-02-28',
    ]);
    const { rows, types } = await client.execute(
      'SELECT happened_at, stamped_at, day, UNIX_TIMESTAMP(stamped_at) AS epoch FROM samples',
    );
    expect(rows[0]).toEqual({
      happened_at: '2026-03-01 12:34:56.789',
      stamped_at: '2026-03-01 23:59:59.001',
      day: '2026-02-28',
      epoch: String(Date.UTC(2026, 2, 1, 23, 59, 59, 1) / 1000),
    });
    expect(types).toMatchObject({ happened_at: 'DATETIME', stamped_at: 'TIMESTAMP', day: 'DATE' });
  });

  it('returns VARBINARY and BLOB bytes intact, including bytes that are not UTF-8', async () => {
    const raw = Uint8Array.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x3b, 0x27, 0x5c, 0xc3]);
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    await client.execute('INSERT INTO samples (label, raw, payload) VALUES (?, ?, ?)', [
      'bytes',
      raw,
      payload,
    ]);
    const { rows, types } = await client.execute('SELECT raw, payload FROM samples');
    expect(rows[0]).toEqual({ raw, payload });
    expect(types).toMatchObject({ raw: 'VARBINARY', payload: 'BLOB' });
  });

  it('keeps UTF-8 text intact: accents, emoji, CJK', async () => {
    const text = 'Prüfung 🎥👩‍💻 监考会话 テスト 시험';
    await client.execute('INSERT INTO samples (label, note) VALUES (?, ?)', [text, `${text} — note`]);
    const { rows } = await client.execute('SELECT label, note, HEX(label) AS hex FROM samples');
    expect(rows[0]).toEqual({
      label: text,
      note: `${text} — note`,
      hex: Buffer.from(text, 'utf8').toString('hex').toUpperCase(),
    });
  });

  it('returns rows as arrays when asked', async () => {
    const { rows } = await client.execute('SELECT ? AS a, ? AS b', ['x', 'y'], { as: 'array' });
    expect(rows).toEqual([['x', 'y']]);
  });
});

describe('writes', () => {
  it('reports insertId and rowsAffected', async () => {
    const first = await client.execute('INSERT INTO samples (label) VALUES (?)', ['one']);
    expect(first.rowsAffected).toBe(1);
    expect(first.insertId).toMatch(/^[1-9]\d*$/);
    const many = await client.execute('INSERT INTO samples (label) VALUES (?), (?), (?)', ['a', 'b', 'c']);
    expect(many.rowsAffected).toBe(3);
    expect(BigInt(many.insertId)).toBe(BigInt(first.insertId) + 1n);
    const updated = await client.execute("UPDATE samples SET note = 'x' WHERE label IN ('a', 'b')");
    expect(updated.rowsAffected).toBe(2);
    const unchanged = await client.execute("UPDATE samples SET note = 'x' WHERE label IN ('a', 'b')");
    expect(unchanged.rowsAffected).toBe(0);
    const deleted = await client.execute('DELETE FROM samples');
    expect(deleted.rowsAffected).toBe(4);
  });

  it('reports an insertId beyond 2^53 exactly', async () => {
    await client.execute('ALTER TABLE samples AUTO_INCREMENT = 9007199254740993');
    const { insertId } = await client.execute('INSERT INTO samples (label) VALUES (?)', ['huge id']);
    expect(insertId).toBe('9007199254740993');
  });

  it('raises a DatabaseError carrying the MySQL message for a duplicate key', async () => {
    await client.execute('INSERT INTO samples (label) VALUES (?)', ['dup']);
    const err = await rejection(client.execute('INSERT INTO samples (label) VALUES (?)', ['dup']));
    expect(err.message).toContain("Duplicate entry 'dup' for key 'label'");
    expect(err.message).toContain('(errno 1062) (sqlstate 23000)');
    expect(err.body.code).toBe('ALREADY_EXISTS');
    expect(err.status).toBe(400);
  });

  it('raises a DatabaseError for a syntax error and for a missing table', async () => {
    expect((await rejection(client.execute('SELEC 1'))).body.code).toBe('INVALID_ARGUMENT');
    const missing = await rejection(client.execute('SELECT * FROM no_such_table'));
    expect(missing.message).toContain(`Table '${DATABASE}.no_such_table' doesn't exist`);
    expect(missing.body.code).toBe('NOT_FOUND');
  });
});

describe('transactions', () => {
  async function labels(): Promise<string[]> {
    const { rows } = await client.execute<{ label: string }>('SELECT label FROM samples ORDER BY label');
    return rows.map((row) => row.label);
  }

  it('commits every statement of a transaction', async () => {
    const result = await client.transaction(async (tx) => {
      await tx.execute('INSERT INTO samples (label) VALUES (?)', ['tx-a']);
      await tx.execute('INSERT INTO samples (label) VALUES (?)', ['tx-b']);
      const { rows } = await tx.execute('SELECT COUNT(*) AS n FROM samples');
      return rows[0];
    });
    expect(result).toEqual({ n: '2' });
    expect(await labels()).toEqual(['tx-a', 'tx-b']);
  });

  it('hides uncommitted rows from other sessions and rolls back when the callback throws', async () => {
    const failure = new Error('candidate left');
    const outcome = client.transaction(async (tx) => {
      await tx.execute('INSERT INTO samples (label) VALUES (?)', ['uncommitted']);
      expect((await tx.execute('SELECT label FROM samples')).rows).toHaveLength(1);
      expect(await labels()).toEqual([]);
      throw failure;
    });
    await expect(outcome).rejects.toBe(failure);
    expect(await labels()).toEqual([]);
  });

  it('leaves nothing behind when a statement fails inside the transaction', async () => {
    await client.execute('INSERT INTO samples (label) VALUES (?)', ['taken']);
    const err = await rejection(
      client.transaction(async (tx) => {
        await tx.execute('INSERT INTO samples (label) VALUES (?)', ['first']);
        await tx.execute('INSERT INTO samples (label) VALUES (?)', ['taken']);
      }),
    );
    expect(err.message).toContain('Duplicate entry');
    expect(await labels()).toEqual(['taken']);
  });

  it('runs parallel transactions on separate connections', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.transaction(async (tx) => {
          await tx.execute('INSERT INTO samples (label) VALUES (?)', [`parallel-${i}`]);
          await tx.execute('SELECT SLEEP(0.02)');
          await tx.execute('UPDATE samples SET note = ? WHERE label = ?', [`note-${i}`, `parallel-${i}`]);
        }),
      ),
    );
    const { rows } = await client.execute<{ n: string }>(
      "SELECT COUNT(*) AS n FROM samples WHERE note LIKE 'note-%'",
    );
    expect(rows[0]?.n).toBe('10');
  });

  it('rolls back a transaction left open past the timeout; its session then fails until ROLLBACK', async () => {
    const short = await startPsdbServer({
      mysql: mysqlOptions(),
      username: 'ies',
      password: 'local-secret',
      transactionTimeoutMs: 200,
    });
    try {
      const conn = connect({ url: short.url });
      await conn.execute('BEGIN');
      await conn.execute('INSERT INTO samples (label) VALUES (?)', ['abandoned']);
      await sleep(400);
      const err = await rejection(conn.execute('SELECT 1'));
      expect(err.body.code).toBe('ABORTED');
      await conn.execute('ROLLBACK');
      expect((await conn.execute("SELECT 'usable' AS state")).rows).toEqual([{ state: 'usable' }]);
      expect(await labels()).toEqual([]);
    } finally {
      await short.stop();
    }
  });
});

describe('the HTTP endpoint', () => {
  it('answers 50 parallel queries, each with its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.execute('SELECT ? AS i, SLEEP(0.01) AS s', [`q${i}`])),
    );
    expect(results.map((r) => r.rows[0]?.i)).toEqual(Array.from({ length: 50 }, (_, i) => `q${i}`));
  });

  it('rejects wrong Basic auth with a 401 DatabaseError', async () => {
    const wrong = new Client({ url: server.url.replace('local-secret', 'guess') });
    const err = await rejection(wrong.execute('SELECT 1'));
    expect(err.status).toBe(401);
    expect(err.body.code).toBe('unauthenticated');
  });

  it('creates a session for Connection.refresh', async () => {
    const conn = connect({ url: server.url });
    await conn.refresh();
    expect((await conn.execute("SELECT 'refreshed' AS state")).rows).toEqual([{ state: 'refreshed' }]);
  });
});
