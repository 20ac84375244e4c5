/**
 * Builds the browser bundles into the Worker's static assets (Workers Static Assets map the folder's paths
 * onto URLs): the recorder SDK (`recorder/` → `/ies/sdk/recorder.js`) and the reviewer's player (`player/`
 * → `/ies/player/player.js`, the `<ies-player>` module, and `/ies/player/index.html` with its `page.js`).
 * Run by `npm start` and `npm test` before wrangler starts; prints each bundle's size, minified and gzipped.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = new URL('../', import.meta.url).pathname;
const ASSETS = join(ROOT, 'dist/assets');

/** Each bundle: its entry and where it lands under the assets. */
const BUNDLES = [
  { entry: 'recorder/index.ts', out: 'ies/sdk/recorder.js' },
  { entry: 'player/index.ts', out: 'ies/player/player.js' },
  { entry: 'player/page.ts', out: 'ies/player/page.js' },
] as const;

/**
 * Per-path response headers of the static assets (the `_headers` file of Workers Static Assets). The SDK
 * and the player element are ES modules loaded from the tenant's origin, and browsers fetch cross-origin
 * module scripts in CORS mode (HTML Standard, "fetch a single module script"), so they need
 * Access-Control-Allow-Origin. The player page is meant to be framed by tenants' pages, so it sends no
 * X-Frame-Options.
 */
const HEADERS = `/ies/sdk/*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
/ies/player/*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
  Referrer-Policy: no-referrer
`;

export interface BundleSize {
  file: string;
  minified: number;
  gzip: number;
}

/** Bundles the SDK and the player and returns their sizes in bytes. */
export async function buildSdk(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const bundle of BUNDLES) {
    const outfile = join(ASSETS, bundle.out);
    await build({
      entryPoints: [join(ROOT, bundle.entry)],
      bundle: true,
      format: 'esm',
      minify: true,
      sourcemap: 'linked',
      target: 'es2022',
      outfile,
      logLevel: 'warning',
    });
    const bytes = await readFile(outfile);
    sizes.push({ file: bundle.out, minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  await copyFile(join(ROOT, 'player/index.html'), join(ASSETS, 'ies/player/index.html'));
  await mkdir(ASSETS, { recursive: true });
  await writeFile(join(ASSETS, '_headers'), HEADERS);
  return sizes;
}

if (import.meta.main) {
  const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  for (const size of await buildSdk())
    console.error(`${size.file}: ${kB(size.minified)} minified, ${kB(size.gzip)} gzip`);
}
