/**
 * The Worker under `wrangler dev` (workerd), offline: no metrics, no update check, no account lookups
 * (wrangler's `WRANGLER_SEND_METRICS`, `CLOUDFLARE_CF_FETCH_ENABLED` and `WRANGLER_HIDE_BANNER`, the last
 * of which also skips the update check). Variables and secrets go through an env file so secrets stay off the
 * command line.
 */
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';
import { spawnTied } from './tied-process.ts';

export interface WranglerDev {
  /** The public URL: the front on `port` (`worker-front.ts`). */
  url: string;
  port: number;
  /** wrangler dev's own port, where its reload proxy listens; for the edge benchmark. */
  wranglerUrl: string;
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
 * Starts `wrangler dev` with `vars` (strings) on a port of its own, waits until `readyPath` answers, and
 * serves it on 127.0.0.1:`port` through the front of `worker-front.ts`. State (Durable Object storage)
 * persists under `stateDir`.
 */
export async function startWranglerDev(options: {
  /** The wrangler configuration; the service's own by default. */
  config?: string;
  port: number;
  stateDir: string;
  vars: Record<string, string>;
  readyPath: string;
  /** A path the Worker answers with 2xx whatever its dependencies do; `readyPath` by default. */
  probePath?: string;
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
  const wranglerPort = await freePort();
  const args = [
    'dev',
    '--config',
    options.config ?? join(ROOT, 'wrangler.toml'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(wranglerPort),
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
  const wranglerUrl = `http://127.0.0.1:${wranglerPort}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${lines.join('\n')}`);
    try {
      const response = await fetch(`${wranglerUrl}${options.readyPath}`);
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

  const front = await startFront(wranglerPort, options.port, options.probePath ?? options.readyPath).catch(
    async (error) => {
      await wrangler.stop(0);
      throw error;
    },
  );
  return {
    url: front.url,
    port: options.port,
    wranglerUrl,
    stop: async () => {
      await front.process.stop();
      await wrangler.stop();
    },
  };
}

/** The API's front (`worker-front.ts`) in a tied process of its own (`worker-front-main.ts`). */
async function startFront(wranglerPort: number, port: number, probePath: string) {
  const front = spawnTied(
    process.execPath,
    [
      join(ROOT, 'dev/stack/worker-front-main.ts'),
      '--port',
      String(port),
      '--wrangler-port',
      String(wranglerPort),
      '--probe-path',
      probePath,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: front.child.stdout as NodeJS.ReadableStream });
  const [url] = (await Promise.race([
    once(lines, 'line'),
    once(front.child, 'exit').then(() => {
      throw new Error('the API front exited before it listened');
    }),
  ])) as [string];
  return { url, process: front };
}
