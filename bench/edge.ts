/**
 * `npm run bench:edge`: the edge API under load on loopback, and policy signing rates, in one run.
 * Starts its own isolated stack (wrangler dev + MariaDB via the PlanetScale protocol + fauxqs), then drives
 * session create and presigned policy with autocannon at 1 and 10 connections, on two paths: wrangler dev's
 * public port (through its development-only reload proxy) and the Worker's own workerd socket under the
 * same wrangler dev (`worker-socket.ts`). A Worker that only answers "ok" gives the floor of each path.
 * Then measures signing inside workerd against the AWS SDK in Node. Prints a Markdown table for
 * bench/RESULTS.md and a JSON line.
 * Targets (issue): signing ≥ 1.5× the SDK's rate; presigned-policy p99 ≤ 20 ms at 10 connections.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startStack } from '../dev/stack/index.ts';
import { freePort } from '../dev/stack/ports.ts';
import { startWranglerDev } from '../dev/stack/wrangler-dev.ts';
import { measureSigningRates } from './signing.ts';
import { workerSocketUrl } from './worker-socket.ts';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const SETTLE_MS = 3000;

/** Where the load goes: wrangler dev's public port, or the Worker's own socket past the proxy. */
interface Path {
  name: 'proxy' | 'worker';
  origin: string;
}

const PATH_LABELS: Record<Path['name'], string> = {
  proxy: 'wrangler dev port (through its reload proxy)',
  worker: "the Worker's workerd socket",
};

const POLICY_BY_TOKEN = 'GET /session/presigned-policy (candidate token, per chunk)';

interface LoadResult {
  scenario: string;
  path: Path['name'];
  connections: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * One autocannon run in its own process, so the load generator does not share an event loop with the
 * local database and S3/SQS servers this process hosts. `[<id>]` in a body becomes a fresh id per request.
 */
async function load(
  scenario: string,
  path: Path,
  connections: number,
  request: { url: string; method?: string; headers: Record<string, string>; body?: string },
): Promise<LoadResult> {
  // A pause first, so one row's aftermath (sockets closing, GC) does not fall into the next one.
  await sleep(SETTLE_MS);
  const args = [
    '--json',
    '-c',
    String(connections),
    '-d',
    String(DURATION_SECONDS),
    '-m',
    request.method ?? 'GET',
  ];
  for (const [name, value] of Object.entries(request.headers)) args.push('-H', `${name}=${value}`);
  if (request.body) args.push('-b', request.body, '--idReplacement');
  const { stdout } = await promisify(execFile)(
    new URL('../node_modules/.bin/autocannon', import.meta.url).pathname,
    [...args, request.url],
  );
  const result = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    scenario,
    path: path.name,
    connections,
    requestsPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'ies-bench-edge-'));
const stack = await startStack({ dir, reset: true });
try {
  const { apiBase, tenant } = stack.info;
  const headers = { 'X-API-TOKEN': tenant.apiKey, 'Content-Type': 'application/json' };
  const created = await fetch(`${apiBase}/session`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ unique_identifier: 'bench-policy', session_metadata: {} }),
  });
  const { session_id } = (await created.json()) as { session_id: string };
  const minted = await fetch(`${apiBase}/session/candidate-token`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ session_id }),
  });
  const { token } = (await minted.json()) as { token: string };

  const api = new URL(apiBase);
  const paths: Path[] = [
    { name: 'proxy', origin: api.origin },
    { name: 'worker', origin: await workerSocketUrl(Number(api.port), `${api.pathname}/health`) },
  ];
  const results: LoadResult[] = [];
  // The same load on a Worker that only answers "ok", served by wrangler dev alike: the floor under every
  // route here, so the API's figures can be read against it. First, while the database is still idle.
  const baseline = await startWranglerDev({
    config: new URL('./baseline/wrangler.toml', import.meta.url).pathname,
    port: await freePort(),
    stateDir: join(dir, 'baseline'),
    vars: {},
    readyPath: '/',
  });
  try {
    const baselinePaths: Path[] = [
      { name: 'proxy', origin: baseline.url },
      { name: 'worker', origin: await workerSocketUrl(baseline.port, '/') },
    ];
    for (const path of baselinePaths) {
      for (const connections of [1, 10]) {
        results.push(
          await load('baseline: a Worker answering "ok"', path, connections, {
            url: path.origin,
            headers: {},
          }),
        );
      }
    }
  } finally {
    await baseline.stop();
  }
  type Scenario = { name: string; request: (base: string) => Parameters<typeof load>[3] };
  // Reads first: session creation leaves the database busy (flushing, purging) for a while after its
  // rows, which would otherwise land in the tail of whatever runs next.
  const scenarios: Scenario[] = [
    {
      name: POLICY_BY_TOKEN,
      request: (base) => ({
        url: `${base}/session/presigned-policy?asset=screenshare`,
        headers: { Authorization: `Bearer ${token}` },
      }),
    },
    {
      name: 'GET /session/presigned-policy (tenant key)',
      request: (base) => ({
        url: `${base}/session/presigned-policy?session_id=${session_id}&asset=screenshare`,
        headers: { 'X-API-TOKEN': tenant.apiKey },
      }),
    },
    {
      name: 'POST /session (new session each)',
      request: (base) => ({
        url: `${base}/session`,
        method: 'POST',
        headers,
        body: JSON.stringify({ unique_identifier: 'bench-[<id>]', session_metadata: { bench: true } }),
      }),
    },
  ];
  for (const scenario of scenarios) {
    for (const path of paths) {
      for (const connections of [1, 10]) {
        results.push(
          await load(scenario.name, path, connections, scenario.request(`${path.origin}${api.pathname}`)),
        );
      }
    }
  }
  const signing = await measureSigningRates();

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  console.log(`\n### Edge API (${date}, ${machine}, ${DURATION_SECONDS} s per row)\n`);
  console.log('| scenario | path | connections | requests/s | p50 ms | p99 ms | errors | non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${PATH_LABELS[r.path]} | ${r.connections} | ${r.requestsPerSec} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
    );
  }
  console.log('\n| signing | policies/s |');
  console.log('|---|---|');
  console.log(`| createPostPolicy in workerd | ${Math.round(signing.workerdPerSec)} |`);
  console.log(`| createPresignedPost (AWS SDK) in Node | ${Math.round(signing.sdkPerSec)} |`);
  console.log(`| ratio | ${signing.ratio.toFixed(2)}× (target ≥ 1.5×) |`);
  console.log('');
  for (const path of paths) {
    const p99 = results.find(
      (r) => r.scenario === POLICY_BY_TOKEN && r.path === path.name && r.connections === 10,
    )?.p99;
    console.log(
      `presigned-policy (candidate token) p99 at 10 connections, ${PATH_LABELS[path.name]}: ${p99} ms (target ≤ 20 ms)`,
    );
  }
  console.log(JSON.stringify({ results, signing }));
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
