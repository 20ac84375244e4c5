/**
 * `npm run bench:clock`: how far the clock-offset estimate lands from the true offset, for the project's
 * estimator (contracts/clock-offset.ts: the shortest round trip of an 8-exchange burst) and for a single
 * exchange, in one run over the same simulated network. A pure simulation with a seeded PRNG: it measures
 * the estimator, not a network, so every run with the same seed prints the same figures.
 *
 * Each trial is one candidate: a true offset, a path whose one-way delay is 10–40 ms, a fixed asymmetry
 * (outbound slower than inbound by `a`, drawn from ±A) and, per exchange and direction, queueing jitter
 * (exponential, mean J). The server stamps whole milliseconds (Date.now()); the browser's monotonic clock
 * is coarsened to 0.1 ms as browsers do without cross-origin isolation (High Resolution Time, §7.1).
 */
import { bestOffset, sampleFrom } from '../contracts/clock-offset.ts';

const SEED = 20261129;
const TRIALS = 20_000;
const BURST = 8;
const TARGET_P95_MS = 5;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scenario {
  label: string;
  /** Mean of the exponential queueing jitter on each direction, ms. */
  jitterMs: number;
  /** Largest fixed asymmetry of a path (outbound − inbound), ms. */
  asymmetryMs: number;
}

const SCENARIOS: Scenario[] = [
  { label: 'symmetric path, jitter mean 2 ms', jitterMs: 2, asymmetryMs: 0 },
  { label: 'symmetric path, jitter mean 5 ms', jitterMs: 5, asymmetryMs: 0 },
  { label: 'asymmetry up to ±4 ms, jitter mean 5 ms', jitterMs: 5, asymmetryMs: 4 },
  { label: 'asymmetry up to ±10 ms, jitter mean 5 ms', jitterMs: 5, asymmetryMs: 10 },
  { label: 'asymmetry up to ±10 ms, jitter mean 15 ms', jitterMs: 15, asymmetryMs: 10 },
];

const coarse = (ms: number) => Math.floor(ms * 10) / 10;

/** The absolute errors of the single-exchange and the burst estimates over all trials of a scenario. */
function run(scenario: Scenario, random: () => number) {
  const exponential = (mean: number) => -mean * Math.log(1 - random());
  const single: number[] = [];
  const burst: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const trueOffset = (random() - 0.5) * 2e6;
    const oneWay = 10 + random() * 30;
    const asymmetry = (random() * 2 - 1) * scenario.asymmetryMs;
    let clientMs = 1.7e12 + random() * 1e9;
    const samples = [];
    for (let i = 0; i < BURST; i++) {
      const outbound = oneWay + asymmetry / 2 + exponential(scenario.jitterMs);
      const inbound = oneWay - asymmetry / 2 + exponential(scenario.jitterMs);
      const serverMs = Math.floor(clientMs + outbound + trueOffset);
      samples.push(sampleFrom(coarse(clientMs), serverMs, coarse(clientMs + outbound + inbound)));
      clientMs += outbound + inbound + 0.2;
    }
    single.push(Math.abs((samples[0]?.offsetMs ?? 0) - trueOffset));
    burst.push(Math.abs((bestOffset(samples)?.offsetMs ?? 0) - trueOffset));
  }
  return { single, burst };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const random = prng(SEED);
const ms = (value: number) => value.toFixed(2);
console.log(`seed ${SEED}, ${TRIALS} trials per row, one-way delay 10–40 ms, burst of ${BURST}\n`);
console.log('| network | single exchange p50 / p95 ms | burst of 8, min RTT p50 / p95 ms | p95 ≤ 5 ms |');
console.log('|---|---|---|---|');
for (const scenario of SCENARIOS) {
  const { single, burst } = run(scenario, random);
  const p95 = percentile(burst, 0.95);
  console.log(
    `| ${scenario.label} | ${ms(percentile(single, 0.5))} / ${ms(percentile(single, 0.95))} | ` +
      `${ms(percentile(burst, 0.5))} / ${ms(p95)} | ${p95 <= TARGET_P95_MS ? 'yes' : 'no'} |`,
  );
}
