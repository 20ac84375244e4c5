import { randomUUID, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, type FieldPacket, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { assertPortFree } from './ports.ts';

export interface PsdbServerOptions {
  mysql: { host: string; port: number; user: string; password: string; database: string };
  /** Port on 127.0.0.1; a free one is picked when unset. */
  port?: number;
  /** Basic auth credentials clients must send; URL-safe characters only, since they go into `url`. */
  username: string;
  password: string;
  /** An open transaction is rolled back this long after BEGIN; PlanetScale's per-transaction limit is 20 s. */
  transactionTimeoutMs?: number;
}

export interface PsdbServer {
  port: number;
  /** `http://user:pass@127.0.0.1:PORT`, usable as `@planetscale/database`'s `url`. */
  url: string;
  stop(): Promise<void>;
}

type Session = { transaction?: string };
type Outcome = { result?: object; error?: { code: string; message: string }; timing?: number };

// MySQL column type codes, the Vitess query.Type name for them, and the name when the column is
// unsigned (integers) or has the binary charset (strings). The driver's default cast keys on these
// names, and on charset 63 for bytes.
const TYPES: [codes: number[], name: string, variant?: string][] = [
  [[1], 'INT8', 'UINT8'],
  [[2], 'INT16', 'UINT16'],
  [[9], 'INT24', 'UINT24'],
  [[3], 'INT32', 'UINT32'],
  [[8], 'INT64', 'UINT64'],
  [[0, 246], 'DECIMAL'],
  [[4], 'FLOAT32'],
  [[5], 'FLOAT64'],
  [[7], 'TIMESTAMP'],
  [[10, 14], 'DATE'],
  [[11], 'TIME'],
  [[12], 'DATETIME'],
  [[13], 'YEAR'],
  [[16], 'BIT'],
  [[245], 'JSON'],
  [[15, 253], 'VARCHAR', 'VARBINARY'],
  [[254], 'CHAR', 'BINARY'],
  [[249, 250, 251, 252], 'TEXT', 'BLOB'],
  [[255], 'GEOMETRY'],
  [[6], 'NULL_TYPE'],
];
const [UNSIGNED_FLAG, ENUM_FLAG, SET_FLAG, BINARY_CHARSET, SERVER_STATUS_IN_TRANS] = [32, 256, 2048, 63, 1];

function vitessType(field: FieldPacket): string {
  // MariaDB sends JSON as LONGTEXT; only its extended metadata (which mysql2 requests) says JSON.
  if (field.extendedFormat === 'json') return 'JSON';
  const flags = typeof field.flags === 'number' ? field.flags : 0;
  if (flags & ENUM_FLAG) return 'ENUM';
  if (flags & SET_FLAG) return 'SET';
  const [, name, variant] = TYPES.find(([codes]) => codes.includes(field.columnType ?? -1)) ?? [[], 'BLOB'];
  const useVariant = name.startsWith('INT') ? flags & UNSIGNED_FLAG : field.characterSet === BINARY_CHARSET;
  return (useVariant && variant) || name;
}

// Vitess's code for common MySQL errnos, after convertErrorCode in vitess's tabletserver.go.
const ERROR_CODES: [code: string, errnos: number[]][] = [
  ['ALREADY_EXISTS', [1050, 1062]],
  ['NOT_FOUND', [1054, 1146]],
  ['INVALID_ARGUMENT', [1048, 1064, 1264, 1366, 1406]],
  ['FAILED_PRECONDITION', [1451, 1452]],
  ['DEADLINE_EXCEEDED', [1205]],
  ['ABORTED', [1213]],
];

function vitessError(err: unknown): { code: string; message: string } {
  const { errno, sqlState, sqlMessage } = err as { errno?: number; sqlState?: string; sqlMessage?: string };
  if (errno === undefined || sqlMessage === undefined) return { code: 'UNAVAILABLE', message: String(err) };
  // The suffix vitess's SQLError.Error() adds; callers match on "(errno 1062)".
  const code = ERROR_CODES.find(([, errnos]) => errnos.includes(errno))?.[0] ?? 'UNKNOWN';
  return { code, message: `${sqlMessage} (errno ${errno}) (sqlstate ${sqlState})` };
}

function toResult(rows: unknown, fields: FieldPacket[] | undefined): object {
  if (!Array.isArray(rows)) {
    const { affectedRows, insertId } = rows as ResultSetHeader;
    return { rowsAffected: String(affectedRows), insertId: String(insertId) };
  }
  return {
    fields: (fields ?? []).map((f) => ({
      name: f.name,
      type: vitessType(f),
      table: f.table,
      orgTable: f.orgTable,
      database: f.db,
      orgName: f.orgName,
      columnLength: f.columnLength,
      charset: f.characterSet,
      decimals: f.decimals,
      flags: f.flags,
    })),
    // A row is its text-protocol values back to back, with their byte lengths (-1 for NULL).
    rows: (rows as (Buffer | null)[][]).map((row) => ({
      lengths: row.map((value) => String(value ? value.length : -1)),
      values: Buffer.concat(row.filter((value) => value !== null)).toString('base64'),
    })),
  };
}

/**
 * Serves PlanetScale's HTTP API, as `@planetscale/database` 1.20 calls it, in front of a MySQL
 * server. A session whose statement opens a transaction keeps that MySQL connection until the
 * transaction ends (COMMIT, ROLLBACK, an implicit commit, or the timeout); other statements use a pool.
 * Column types are MariaDB's: for expressions it may pick INT where MySQL 8 picks BIGINT (`SELECT 1`,
 * LENGTH()), which the driver then returns as a number here and a string on PlanetScale.
 */
export async function startPsdbServer(options: PsdbServerOptions): Promise<PsdbServer> {
  const { username, password } = options;
  if (encodeURIComponent(username) !== username || encodeURIComponent(password) !== password) {
    throw new Error('psdb server: username and password must be URL-safe, as they go into its url');
  }
  if (options.port !== undefined) await assertPortFree(options.port, 'PlanetScale HTTP server');
  // Without FOUND_ROWS an UPDATE reports changed rows, MySQL's default and so PlanetScale's.
  const pool = createPool({
    ...options.mysql,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    flags: ['-FOUND_ROWS'],
  });
  const transactions = new Map<string, { conn: PoolConnection; timer: NodeJS.Timeout }>();
  const expectedAuth = Buffer.from(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);

  const forget = (id: string) => {
    clearTimeout(transactions.get(id)?.timer);
    transactions.delete(id);
  };

  async function execute(query: string, session: Session): Promise<Outcome & { session: Session }> {
    const id = session.transaction;
    const tx = id ? transactions.get(id) : undefined;
    if (id && !tx) {
      // Like vtgate, a ROLLBACK clears a session whose transaction is already gone.
      if (/^\s*rollback\s*;?\s*$/i.test(query)) return { session: {}, result: {} };
      return {
        session,
        error: { code: 'ABORTED', message: `transaction ${id} ended: timed out or connection lost` },
      };
    }
    const conn = tx?.conn ?? (await pool.getConnection());
    const started = performance.now();
    let open = tx !== undefined;
    let broken = false;
    let outcome: Outcome;
    try {
      const [rows, fields] = await conn.query({ sql: query, rowsAsArray: true, typeCast: (f) => f.buffer() });
      // An OK packet says whether the statement left a transaction open (BEGIN, autocommit=0) or
      // ended it (COMMIT, ROLLBACK, DDL's implicit commit); a result set leaves the state as it was.
      if (!Array.isArray(rows)) {
        open = ((rows as ResultSetHeader).serverStatus & SERVER_STATUS_IN_TRANS) !== 0;
      }
      outcome = { result: toResult(rows, fields), timing: (performance.now() - started) / 1000 };
    } catch (err) {
      broken = (err as { fatal?: boolean }).fatal === true;
      outcome = { error: vitessError(err) };
    }
    if (open && !broken) {
      if (id) return { session, ...outcome };
      const newId = randomUUID();
      // Closing the connection makes MySQL roll the transaction back.
      const timer = setTimeout(() => {
        forget(newId);
        conn.destroy();
      }, options.transactionTimeoutMs ?? 20_000).unref();
      transactions.set(newId, { conn, timer });
      return { session: { transaction: newId }, ...outcome };
    }
    if (id) forget(id);
    if (broken) conn.destroy();
    else conn.release();
    return { session: broken && id ? session : {}, ...outcome };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const reply = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth)) {
      return reply(401, { error: { code: 'unauthenticated', message: 'invalid auth credentials' } });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST' && req.url === '/psdb.v1alpha1.Database/CreateSession') {
      return reply(200, { session: {} });
    }
    if (req.method !== 'POST' || req.url !== '/psdb.v1alpha1.Database/Execute') {
      return reply(404, {
        error: { code: 'unimplemented', message: `${req.method} ${req.url} is not served` },
      });
    }
    let body: { query?: unknown; session?: Session | null };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { error: { code: 'invalid_argument', message: 'request body is not JSON' } });
    }
    if (typeof body.query !== 'string') {
      return reply(400, { error: { code: 'invalid_argument', message: 'query must be a string' } });
    }
    return reply(200, await execute(body.query, body.session ?? {}));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: String(err) } }));
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    port,
    url: `http://${username}:${password}@127.0.0.1:${port}`,
    async stop() {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      for (const [id, { conn }] of transactions) {
        forget(id);
        conn.destroy();
      }
      await Promise.all([closed, pool.end()]);
    },
  };
}
