/**
 * A Worker served the way it runs once deployed, as near as this machine allows: the bundle
 * `wrangler deploy --dry-run` makes, run by workerd through Miniflare with the bindings its wrangler.toml
 * declares (wrangler's own translation, `unstable_getMiniflareWorkerOptions`). Unlike `wrangler dev`, there
 * is no reload proxy in front and no inspector session behind: wrangler dev reads every console line the
 * Worker writes over the DevTools protocol, which costs the Worker's process CPU per line, and a deployed
 * Worker's lines go to Workers Logs instead. Miniflare's own entry Worker, in the same workerd process, still
 * routes each request to the Worker.
 */
import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Miniflare, NoOpLog } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { pidListeningOn } from '../dev/stack/worker-socket.ts';
import { OFFLINE_ENV } from '../dev/stack/wrangler-dev.ts';

const ROOT = new URL('../', import.meta.url).pathname;

export interface RuntimeWorker {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The workerd process serving it: its CPU time is the Worker's (and Miniflare's entry Worker's). */
  pid: number;
  stop(): Promise<void>;
}

/** Bundles the Worker of `config` into `outDir` and serves the bundle with `vars` on a free loopback port. */
export async function serveBundle(o: {
  config: string;
  outDir: string;
  vars: Record<string, string>;
}): Promise<RuntimeWorker> {
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', o.outDir, '--config', o.config],
    { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV } },
  );
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(o.config);
  // wrangler names the bundle after the entry module: `worker/index.ts` becomes `index.js`.
  const bundle = basename(main ?? 'index.ts').replace(/\.[cm]?[jt]s$/, '.js');
  const miniflare = new Miniflare({
    ...workerOptions,
    modules: true,
    modulesRoot: o.outDir,
    scriptPath: join(o.outDir, bundle),
    bindings: { ...workerOptions.bindings, ...o.vars },
    host: '127.0.0.1',
    port: 0,
    log: new NoOpLog(),
    // The request log lines are read and dropped, as a log collector would take them; errors are shown.
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume();
      stderr.pipe(process.stderr);
    },
  });
  const url = await miniflare.ready;
  return {
    url: url.origin,
    pid: pidListeningOn(Number(url.port)),
    stop: () => miniflare.dispose(),
  };
}
