/**
 * `npm run bench:edge`: the edge API under load on loopback, and policy signing rates, in one run.
 * Starts its own isolated stack (wrangler dev + MariaDB via the PlanetScale protocol + fauxqs), then drives
 * session create and presigned policy with autocannon at 1 and 10 connections, then measures signing inside
 * workerd against the AWS SDK in Node. Prints a Markdown table for bench/RESULTS.md and a JSON line.
 * Targets (issue): signing ≥ 1.5× the SDK's rate; presigned-policy p99 ≤ 20 ms at 10 connections.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStack } from '../dev/stack/index.ts';
import { freePort } from '../dev/stack/ports.ts';
import { startWranglerDev } from '../dev/stack/wrangler-dev.ts';
import { measureSigningRates } from './signing.ts';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10);

interface LoadResult {
  scenario: string;
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
  connections: number,
  request: { url: string; method?: string; headers: Record<string, string>; body?: string },
): Promise<LoadResult> {
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

  const results: LoadResult[] = [];
  for (const connections of [1, 10]) {
    results.push(
      await load('POST /session (new session each)', connections, {
        url: `${apiBase}/session`,
        method: 'POST',
        headers,
        body: JSON.stringify({ unique_identifier: 'bench-[<id>]', session_metadata: { bench: true } }),
      }),
    );
    results.push(
      await load('GET /session/presigned-policy (candidate token, per chunk)', connections, {
        url: `${apiBase}/session/presigned-policy?asset=screenshare`,
        headers: { Authorization: `Bearer ${token}` },
      }),
    );
    results.push(
      await load('GET /session/presigned-policy (tenant key)', connections, {
        url: `${apiBase}/session/presigned-policy?session_id=${session_id}&asset=screenshare`,
        headers: { 'X-API-TOKEN': tenant.apiKey },
      }),
    );
  }
  // The same load on a Worker that only answers "ok", served by wrangler dev alike: the floor under every
  // route here, so the API's figures can be read against it.
  const baseline = await startWranglerDev({
    config: new URL('./baseline/wrangler.toml', import.meta.url).pathname,
    port: await freePort(),
    stateDir: join(dir, 'baseline'),
    vars: {},
    readyPath: '/',
  });
  try {
    for (const connections of [1, 10]) {
      results.push(
        await load('baseline: a Worker answering "ok"', connections, { url: baseline.url, headers: {} }),
      );
    }
  } finally {
    await baseline.stop();
  }
  const signing = await measureSigningRates();

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  console.log(
    `\n### Edge API (${new Date().toISOString().slice(0, 10)}, ${machine}, ${DURATION_SECONDS} s per row)\n`,
  );
  console.log('| scenario | connections | requests/s | p50 ms | p99 ms | errors | non-2xx |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.connections} | ${r.requestsPerSec} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
    );
  }
  console.log('\n| signing | policies/s |');
  console.log('|---|---|');
  console.log(`| createPostPolicy in workerd | ${Math.round(signing.workerdPerSec)} |`);
  console.log(`| createPresignedPost (AWS SDK) in Node | ${Math.round(signing.sdkPerSec)} |`);
  console.log(`| ratio | ${signing.ratio.toFixed(2)}× (target ≥ 1.5×) |`);
  const policyP99 =
    results.find((r) => r.scenario.includes('candidate token') && r.connections === 10)?.p99 ?? Number.NaN;
  console.log(`\npresigned-policy (candidate token) p99 at 10 connections: ${policyP99} ms (target ≤ 20 ms)`);
  console.log(JSON.stringify({ results, signing }));
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
