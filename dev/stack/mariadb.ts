import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { assertPortFree, freePort } from './ports.ts';

export interface MariaDbOptions {
  /** Directory holding the instance's data, socket, pid file and error log. Created when missing. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when unset. */
  port?: number;
  /** Wipe `dataDir` and initialise it again. */
  reset?: boolean;
}

export interface MariaDb {
  port: number;
  socket: string;
  /** `mysql://root@127.0.0.1:PORT`, accepted by mysql2's `createConnection` and `createPool`. */
  rootUrl: string;
  /** Creates the database unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Sends SIGTERM and resolves once mariadbd has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_COMMAND = 'apt-get install -y --no-install-recommends mariadb-server';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
// sun_path in struct sockaddr_un is 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH = 107;
const SETPRIV = '/usr/bin/setpriv';

const execFileAsync = promisify(execFile);

function findBinary(name: string): string {
  // Debian puts mariadbd in /usr/sbin, which is not on an unprivileged user's PATH.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`${name} not found on PATH or in /usr/sbin; install MariaDB with: ${INSTALL_COMMAND}`);
}

/**
 * Server flags for a private, throwaway instance. The sql_mode is MySQL 8.0's default without
 * ONLY_FULL_GROUP_BY: MariaDB does not detect functional dependencies, so it would reject GROUP BY
 * queries that MySQL 8.0 (and so PlanetScale) accepts.
 */
function serverArgs(dataDir: string, socket: string, port: number): string[] {
  return [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--user=root',
    '--default-time-zone=+00:00',
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--sql-mode=STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
    '--innodb-buffer-pool-size=32M',
    // Dev data: losing the last second of commits on an OS crash is fine, fsync per commit is slow.
    '--innodb-flush-log-at-trx-commit=2',
    `--log-error=${join(dataDir, 'error.log')}`,
    `--pid-file=${join(dataDir, 'mariadbd.pid')}`,
  ];
}

async function logTail(dataDir: string): Promise<string> {
  const text = await readFile(join(dataDir, 'error.log'), 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-15).join('\n');
}

async function assertNotRunning(dataDir: string): Promise<void> {
  const pid = Number.parseInt(await readFile(join(dataDir, 'mariadbd.pid'), 'utf8').catch(() => ''), 10);
  if (!pid) return;
  // A pid file survives a killed server and pids get reused, so check what the process is.
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  if (comm.trim() === 'mariadbd') {
    throw new Error(`mariadbd (pid ${pid}) is already running on ${dataDir}; stop it first`);
  }
}

async function initialise(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await execFileAsync(findBinary('mariadb-install-db'), [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
}

async function waitUntilReady(child: ChildProcess, url: string, dataDir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode ?? `code ${child.exitCode}`;
      throw new Error(`mariadbd exited (${how}) before accepting connections:\n${await logTail(dataDir)}`);
    }
    try {
      const conn = await createConnection(url);
      await conn.end();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(
          `mariadbd did not accept connections within ${READY_TIMEOUT_MS} ms:\n${await logTail(dataDir)}`,
          { cause: err },
        );
      }
    }
    await sleep(25);
  }
}

/**
 * Starts a private MariaDB server on 127.0.0.1 with its data in `dataDir`, initialising the
 * directory first when it holds no instance yet (or when `reset` is set). Root has no password.
 * Resolves once the server accepts connections. The server is sent SIGTERM when this process exits.
 */
export async function startMariaDb(options: MariaDbOptions): Promise<MariaDb> {
  const server = findBinary('mariadbd');
  const dataDir = resolve(options.dataDir);
  const socket = join(dataDir, 'mariadbd.sock');
  if (socket.length > MAX_SOCKET_PATH) {
    throw new Error(`socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter dataDir`);
  }
  await assertNotRunning(dataDir);
  if (options.port !== undefined) await assertPortFree(options.port, 'MariaDB');
  const port = options.port ?? (await freePort());

  if (options.reset) await rm(dataDir, { recursive: true, force: true });
  if (!existsSync(join(dataDir, 'mysql'))) {
    if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
      throw new Error(`${dataDir} is not empty but holds no MariaDB instance; pass reset: true to wipe it`);
    }
    await initialise(dataDir);
  }

  // setpriv (util-linux, always on Debian) makes the kernel send SIGTERM to mariadbd when this
  // process dies, even by SIGKILL, which no exit handler can catch.
  const args = serverArgs(dataDir, socket, port);
  const child = existsSync(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', server, ...args], { stdio: 'ignore' })
    : spawn(server, args, { stdio: 'ignore' });
  await once(child, 'spawn');
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const rootUrl = `mysql://root@127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, rootUrl, dataDir);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    port,
    socket,
    rootUrl,
    stop,
    async ensureDatabase(name) {
      if (!/^\w+$/.test(name)) throw new Error(`database name must be letters, digits or _: ${name}`);
      const conn = await createConnection(rootUrl);
      try {
        await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}
