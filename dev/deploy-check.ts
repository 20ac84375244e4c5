/**
 * Checks that every deployed environment of the Worker bundles, offline and without a Cloudflare account:
 * `wrangler deploy --dry-run --env <env>` into a temporary folder, then the bundle's size raw and gzipped
 * against the Workers size limit; and each environment repeats every Durable Object binding, rate limit and
 * var of the top level, which wrangler does not inherit. Exits 1 naming the environment that fails.
 *
 *   node dev/deploy-check.ts [--env staging --env production] [--plan paid|free]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { unstable_readConfig } from 'wrangler';
import { OFFLINE_ENV } from './stack/wrangler-dev.ts';

const ROOT = new URL('../', import.meta.url).pathname;

/**
 * A Worker may be at most 10 MB after compression on the Workers Paid plan and 3 MB on the Free plan
 * (https://developers.cloudflare.com/workers/platform/limits/#worker-size). Static assets do not count.
 * Counted in decimal megabytes, the stricter reading.
 */
const GZIP_LIMIT_BYTES = { paid: 10 * 1000 ** 2, free: 3 * 1000 ** 2 } as const;
type Plan = keyof typeof GZIP_LIMIT_BYTES;

/** Files of wrangler's `--outdir` that are not uploaded as modules. */
const NOT_UPLOADED = /\.map$|^README\.md$/;

const { values } = parseArgs({
  options: {
    env: { type: 'string', multiple: true, default: ['staging', 'production'] },
    plan: { type: 'string', default: 'paid' },
  },
});
if (!(values.plan in GZIP_LIMIT_BYTES)) {
  console.error(`--plan must be one of ${Object.keys(GZIP_LIMIT_BYTES).join(', ')}`);
  process.exit(2);
}
const limit = GZIP_LIMIT_BYTES[values.plan as Plan];

/** Bundles the Worker for `env` as `wrangler deploy` would, and returns the modules' sizes in bytes. */
async function bundleSize(env: string): Promise<{ raw: number; gzip: number }> {
  const outdir = await mkdtemp(join(tmpdir(), `ies-deploy-${env}-`));
  try {
    await promisify(execFile)(
      join(ROOT, 'node_modules/.bin/wrangler'),
      ['deploy', '--dry-run', '--outdir', outdir, '--env', env],
      { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV } },
    ).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`wrangler deploy --dry-run --env ${env} failed:\n${error.stdout}${error.stderr}`);
    });
    let raw = 0;
    let gzip = 0;
    for (const name of await readdir(outdir)) {
      if (NOT_UPLOADED.test(name)) continue;
      const bytes = await readFile(join(outdir, name));
      raw += bytes.length;
      gzip += gzipSync(bytes).length;
    }
    return { raw, gzip };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/**
 * What the top level declares and `env` does not: Durable Object bindings, rate limits and vars are not
 * inherited by environments (https://developers.cloudflare.com/workers/wrangler/configuration/#non-inheritable-keys),
 * so one added at the top level alone would be missing from the deployed Worker.
 */
function notRepeated(env: string): string[] {
  const config = join(ROOT, 'wrangler.toml');
  const declared = (c: ReturnType<typeof unstable_readConfig>) => [
    ...c.durable_objects.bindings.map(
      (binding: { name: string }) => `Durable Object binding ${binding.name}`,
    ),
    ...c.ratelimits.map((limit: { name: string }) => `rate limit ${limit.name}`),
    ...Object.keys(c.vars).map((name) => `var ${name}`),
  ];
  const repeated = new Set(declared(unstable_readConfig({ config, env })));
  return declared(unstable_readConfig({ config })).filter((name) => !repeated.has(name));
}

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
let failed = false;
for (const env of values.env) {
  const size = await bundleSize(env);
  const fits = size.gzip <= limit;
  const missing = notRepeated(env);
  failed ||= !fits || missing.length > 0;
  if (missing.length > 0) console.error(`[env.${env}] does not repeat the top level's ${missing.join(', ')}`);
  console.error(
    `worker bundle (${env}): ${kB(size.raw)} raw, ${kB(size.gzip)} gzip; ${values.plan} plan limit ${kB(limit)} gzip${fits ? '' : ' — TOO LARGE'}`,
  );
}
process.exit(failed ? 1 : 0);
