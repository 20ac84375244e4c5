/**
 * Builds the browser SDK (`recorder/`) into the Worker's static assets: `dist/assets/ies/sdk/recorder.js`,
 * served at `/ies/sdk/recorder.js` (Workers Static Assets map the folder's paths onto URLs). Run by
 * `npm start` and `npm test` before wrangler starts; prints the bundle's size, minified and gzipped.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = new URL('../', import.meta.url).pathname;
const ASSETS = join(ROOT, 'dist/assets');
const OUTFILE = join(ASSETS, 'ies/sdk/recorder.js');

/**
 * Per-path response headers of the static assets (the `_headers` file of Workers Static Assets). The SDK
 * is an ES module loaded from the tenant's origin, and browsers fetch cross-origin module scripts in CORS
 * mode (HTML Standard, "fetch a single module script"), so it needs Access-Control-Allow-Origin.
 */
const HEADERS = `/ies/sdk/*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
`;

/** Bundles the SDK and returns its sizes in bytes. */
export async function buildSdk(): Promise<{ minified: number; gzip: number }> {
  await build({
    entryPoints: [join(ROOT, 'recorder/index.ts')],
    bundle: true,
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    target: 'es2022',
    outfile: OUTFILE,
    logLevel: 'warning',
  });
  await mkdir(ASSETS, { recursive: true });
  await writeFile(join(ASSETS, '_headers'), HEADERS);
  const bytes = await readFile(OUTFILE);
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

if (import.meta.main) {
  const size = await buildSdk();
  const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  console.error(`recorder.js: ${kB(size.minified)} minified, ${kB(size.gzip)} gzip`);
}
