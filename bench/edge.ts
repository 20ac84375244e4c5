/**
 * `npm run bench:edge`: the edge API under load on loopback, and policy signing rates, in one run.
 * Starts its own isolated stack (wrangler dev + MariaDB via the PlanetScale protocol + fauxqs) from a copy
 * of the working tree (`snapshot.ts`: edits made meanwhile would make wrangler reload the Worker mid-run),
 * then drives each route with autocannon at 1 and 10 connections, on three paths: wrangler dev's public
 * port (through its development-only reload proxy), the Worker's own workerd socket under the same
 * wrangler dev (`worker-socket.ts`), and the Worker's deploy bundle served by workerd without wrangler dev
 * (`runtime-worker.ts`) against the same database, S3 and SQS: no reload proxy, no inspector session
 * relaying its console lines, as when deployed. A Worker that only answers "ok" gives the floor of each
 * path, and the same Worker writing the API's request log line the floor of any route that logs (all of
 * them). For every row it also reads the CPU time, per request served, of the processes that serve it:
 * the Worker's workerd, and under wrangler dev the proxy's workerd and wrangler's Node process. Then
 * measures signing inside workerd against the AWS SDK in Node. Prints Markdown tables for bench/RESULTS.md
 * and a JSON line.
 * Targets, read on the deploy bundle's path: signing ≥ 1.5× the SDK's rate; the presigned policy ≤ 1 ms of
 * Worker CPU per request; at 10 connections, each route's p99 no more than 10 ms above the empty Worker's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseEnv, promisify } from 'node:util';
import { findWorkerSocket } from '../dev/stack/worker-socket.ts';
import { cpuSeconds } from './proc-cpu.ts';
import { serveBundle } from './runtime-worker.ts';
import { measureSigningRates } from './signing.ts';
import { snapshotWorkingTree } from './snapshot.ts';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const SETTLE_MS = 3000;
const CONNECTIONS = [1, 10] as const;

/**
 * Where the load goes: wrangler dev's public port, the Worker's own socket past that proxy, or the deploy
 * bundle served without wrangler dev (`runtime-worker.ts`), the nearest to a deployed Worker.
 */
interface Path {
  name: 'proxy' | 'worker' | 'runtime';
  origin: string;
  /** The processes whose CPU time the row reads; wrangler dev's two exist only on its paths. */
  pids: { worker: number; proxy: number | null; wrangler: number | null };
}

const PATH_LABELS: Record<Path['name'], string> = {
  proxy: 'wrangler dev port (through its reload proxy)',
  worker: "the Worker's workerd socket under wrangler dev",
  runtime: 'the deploy bundle in workerd (Miniflare, no dev proxy or inspector)',
};

const BASELINE = 'baseline: a Worker answering "ok"';
const BASELINE_LOGGED = "baseline: the same, writing the API's request log line";
const POLICY_BY_TOKEN = 'GET /session/presigned-policy (candidate token, per chunk)';

interface LoadResult {
  scenario: string;
  path: Path['name'];
  connections: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU time of the Worker's workerd process over the row per response, in ms; null without responses. */
  workerCpuMs: number | null;
  /** The same for the reload proxy's workerd process, which also relays the Worker's console output. */
  proxyCpuMs: number | null;
  /** The same for wrangler's Node process, which receives that output. */
  wranglerCpuMs: number | null;
}

/**
 * One autocannon run in its own process, so the load generator does not share an event loop with the
 * local database and S3/SQS servers this process hosts. `[<id>]` in a body becomes a fresh id per request.
 * CPU time is read before and after: the Worker idles between rows, so what it used in between is the
 * row's. A workerd process that ended meanwhile (a reload) makes `cpuSeconds` throw rather than mislead.
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
  const pids = [path.pids.worker, path.pids.proxy, path.pids.wrangler];
  const cpuOf = (pid: number | null) => (pid === null ? 0 : cpuSeconds(pid).self);
  const before = pids.map(cpuOf);
  const { stdout } = await promisify(execFile)(
    new URL('../node_modules/.bin/autocannon', import.meta.url).pathname,
    [...args, request.url],
  );
  const [workerCpu = 0, proxyCpu = 0, wranglerCpu = 0] = pids.map((pid, i) => cpuOf(pid) - (before[i] ?? 0));
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  const served = result.requests.total;
  const perRequestMs = (seconds: number) => (served > 0 ? round((seconds * 1000) / served, 3) : null);
  return {
    scenario,
    path: path.name,
    connections,
    requestsPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    workerCpuMs: perRequestMs(workerCpu),
    proxyCpuMs: path.pids.proxy === null ? null : perRequestMs(proxyCpu),
    wranglerCpuMs: path.pids.wrangler === null ? null : perRequestMs(wranglerCpu),
  };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Both paths into the wrangler dev at `origin`, found from /proc by the Worker answering `probePath`. */
async function pathsInto(origin: string, probePath: string): Promise<Path[]> {
  const found = await findWorkerSocket(Number(new URL(origin).port), probePath);
  const pids = { worker: found.workerPid, proxy: found.proxyPid, wrangler: found.wranglerPid };
  return [
    { name: 'proxy', origin, pids },
    { name: 'worker', origin: found.url, pids },
  ];
}

/** The deploy bundle of `config`, served without wrangler dev, as a path to load. */
async function runtimePath(config: string, outDir: string, vars: Record<string, string>) {
  const served = await serveBundle({ config, outDir, vars });
  const path: Path = {
    name: 'runtime',
    origin: served.url,
    pids: { worker: served.pid, proxy: null, wrangler: null },
  };
  return { path, stop: served.stop };
}

const dir = await mkdtemp(join(tmpdir(), 'ies-bench-edge-'));
const tree = await snapshotWorkingTree(join(dir, 'tree'));
// The stack's own modules from the copy too: they start wrangler dev on the copy's wrangler.toml.
const fromTree = <Module>(file: string): Promise<Module> => import(pathToFileURL(join(tree, file)).href);
const { startStack } = await fromTree<typeof import('../dev/stack/index.ts')>('dev/stack/index.ts');
const { startWranglerDev } =
  await fromTree<typeof import('../dev/stack/wrangler-dev.ts')>('dev/stack/wrangler-dev.ts');
const { freePort } = await fromTree<typeof import('../dev/stack/ports.ts')>('dev/stack/ports.ts');
// wrangler's warnings and errors (a failed build, a lost connection) belong next to the figures.
const stack = await startStack({
  dir: join(dir, 'stack'),
  reset: true,
  log: (line) => {
    if (line.startsWith('[worker]')) console.error(line);
  },
});
let apiRuntime: Awaited<ReturnType<typeof runtimePath>> | undefined;
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
  const results: LoadResult[] = [];
  // The same load on a Worker that only answers "ok", served by wrangler dev alike: the floor under every
  // route here, so the API's figures can be read against it. First, while the database is still idle.
  const baseline = await startWranglerDev({
    config: join(tree, 'bench/baseline/wrangler.toml'),
    port: await freePort(),
    stateDir: join(dir, 'baseline'),
    vars: {},
    readyPath: '/',
  });
  const baselineRuntime = await runtimePath(
    join(tree, 'bench/baseline/wrangler.toml'),
    join(dir, 'baseline-bundle'),
    {},
  );
  try {
    const baselinePaths = [...(await pathsInto(baseline.wranglerUrl, '/')), baselineRuntime.path];
    for (const [name, route] of [
      [BASELINE, '/'],
      [BASELINE_LOGGED, '/log'],
    ] as const) {
      for (const path of baselinePaths) {
        for (const connections of CONNECTIONS) {
          results.push(await load(name, path, connections, { url: `${path.origin}${route}`, headers: {} }));
        }
      }
    }
  } finally {
    await baseline.stop();
    await baselineRuntime.stop();
  }
  // The API's deploy bundle with the very vars wrangler dev was given, so both serve the same stack.
  const vars = parseEnv(await readFile(join(dir, 'stack/worker/worker.env'), 'utf8')) as Record<
    string,
    string
  >;
  apiRuntime = await runtimePath(join(tree, 'wrangler.toml'), join(dir, 'api-bundle'), vars);
  const paths = [...(await pathsInto(stack.info.wranglerUrl, `${api.pathname}/health`)), apiRuntime.path];
  type Scenario = { name: string; request: (base: string) => Parameters<typeof load>[3] };
  // Reads first: session creation leaves the database busy (flushing, purging) for a while after its
  // rows, which would otherwise land in the tail of whatever runs next. Chunk notices are left out: they
  // are limited to 120 per candidate session and minute (wrangler.toml), so a row would measure the 429.
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
      name: 'GET /session (tenant key)',
      request: (base) => ({
        url: `${base}/session?session_id=${session_id}`,
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
      for (const connections of CONNECTIONS) {
        results.push(
          await load(scenario.name, path, connections, scenario.request(`${path.origin}${api.pathname}`)),
        );
      }
    }
  }
  const signing = await measureSigningRates();

  // Per route, from its 10-connection row as deployed, against the empty Workers' rows there.
  const row = (scenario: string) =>
    results.find((r) => r.scenario === scenario && r.path === 'runtime' && r.connections === 10);
  const floor = row(BASELINE);
  const loggedFloor = row(BASELINE_LOGGED);
  const over = (value: number | null | undefined, base: number | null | undefined) =>
    value != null && base != null ? round(value - base, 3) : null;
  const targets = scenarios.map(({ name }) => {
    const r = row(name);
    return {
      scenario: name,
      workerCpuMs: r?.workerCpuMs ?? null,
      workerCpuOverEmptyMs: over(r?.workerCpuMs, floor?.workerCpuMs),
      workerCpuOverLoggedMs: over(r?.workerCpuMs, loggedFloor?.workerCpuMs),
      p99: r?.p99 ?? null,
      p99OverEmptyMs: over(r?.p99, floor?.p99),
      p99OverLoggedMs: over(r?.p99, loggedFloor?.p99),
    };
  });

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const load1 = loadavg()[0]?.toFixed(1);
  console.log(
    `\n### Edge API (${date} UTC, ${machine}, ${DURATION_SECONDS} s per row, load average ${load1} at the end)\n`,
  );
  console.log(
    '| scenario | path | connections | requests/s | p50 ms | p99 ms | CPU ms/request: Worker | proxy | wrangler (Node) | errors | timeouts | non-2xx |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const cell = (value: number | null) => (value === null ? '—' : String(value));
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${PATH_LABELS[r.path]} | ${r.connections} | ${r.requestsPerSec} | ${r.p50} | ${r.p99} | ${cell(r.workerCpuMs)} | ${cell(r.proxyCpuMs)} | ${cell(r.wranglerCpuMs)} | ${r.errors} | ${r.timeouts} | ${r.non2xx} |`,
    );
  }
  console.log(
    `\nServed as deployed (the deploy bundle in workerd, no dev proxy or inspector), 10 connections. The empty Worker: ${cell(floor?.workerCpuMs ?? null)} ms CPU per request, p99 ${cell(floor?.p99 ?? null)} ms; writing the log line: ${cell(loggedFloor?.workerCpuMs ?? null)} ms, p99 ${cell(loggedFloor?.p99 ?? null)} ms.\n`,
  );
  console.log(
    '| route | Worker CPU ms/request | over the empty Worker | over the logging one | p99 ms | over the empty Worker (target ≤ 10 ms) | over the logging one |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const t of targets) {
    const cpuTarget = t.scenario === POLICY_BY_TOKEN ? ' (target ≤ 1 ms)' : '';
    console.log(
      `| ${t.scenario} | ${cell(t.workerCpuMs)}${cpuTarget} | ${cell(t.workerCpuOverEmptyMs)} | ${cell(t.workerCpuOverLoggedMs)} | ${cell(t.p99)} | ${cell(t.p99OverEmptyMs)} | ${cell(t.p99OverLoggedMs)} |`,
    );
  }
  console.log('\n| signing | policies/s |');
  console.log('|---|---|');
  console.log(`| createPostPolicy in workerd | ${Math.round(signing.workerdPerSec)} |`);
  console.log(`| createPresignedPost (AWS SDK) in Node | ${Math.round(signing.sdkPerSec)} |`);
  console.log(`| ratio | ${signing.ratio.toFixed(2)}× (target ≥ 1.5×) |`);
  console.log(JSON.stringify({ results, targets, signing }));
} finally {
  await apiRuntime?.stop();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
