/**
 * The Worker under `wrangler dev` (workerd), offline: no metrics, no update check, no account lookups
 * (wrangler's `WRANGLER_SEND_METRICS`, `CLOUDFLARE_CF_FETCH_ENABLED` and `WRANGLER_HIDE_BANNER`, the last
 * of which also skips the update check). Variables and secrets go through an env file so secrets stay off the
 * command line.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';
import { spawnTied } from './tied-process.ts';

export interface WranglerDev {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const ROOT = new URL('../../', import.meta.url).pathname;

/** Environment that keeps wrangler from reaching the network. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
};

/**
 * Starts `wrangler dev` on 127.0.0.1:`port` with `vars` (strings) and waits until `readyPath` answers.
 * State (Durable Object storage) persists under `stateDir`.
 */
export async function startWranglerDev(options: {
  /** The wrangler configuration; the service's own by default. */
  config?: string;
  port: number;
  stateDir: string;
  vars: Record<string, string>;
  readyPath: string;
  onLog?: (line: string) => void;
}): Promise<WranglerDev> {
  await mkdir(options.stateDir, { recursive: true });
  const envFile = join(options.stateDir, 'worker.env');
  await writeFile(
    envFile,
    Object.entries(options.vars)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join('\n'),
    { mode: 0o600 },
  );
  const args = [
    'dev',
    '--config',
    options.config ?? join(ROOT, 'wrangler.toml'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--inspector-port',
    String(await freePort()),
    '--persist-to',
    join(options.stateDir, 'state'),
    '--env-file',
    envFile,
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ];
  const wrangler = spawnTied(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { child } = wrangler;
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${lines.join('\n')}`);
    try {
      const response = await fetch(`${url}${options.readyPath}`);
      await response.body?.cancel();
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await wrangler.stop(0);
      throw new Error(
        `wrangler dev did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${lines.join('\n')}`,
      );
    }
    await sleep(200);
  }

  return {
    url,
    port: options.port,
    stop: () => wrangler.stop(),
  };
}
