/**
 * The transcoder image without a Docker daemon: what transcoder/Dockerfile copies exists, the build context
 * (.dockerignore) holds exactly that, the copied code needs only production dependencies, and the image's
 * command, run as a plain process on the copied files alone, starts and refuses a bad configuration
 * naming the variable (exit code 2, transcoder/main.ts).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const dockerfile = readFileSync(join(ROOT, 'transcoder/Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#'));

/** The arguments of every instruction named `name`. */
const argumentsOf = (name: string) =>
  instructions
    .filter((line) => line.startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1).trim());

/** Sources of every COPY: all words but the destination. */
const copied = argumentsOf('COPY').flatMap((args) => args.split(/\s+/).slice(0, -1));

/** The image's environment: every `ENV NAME=value …`. */
const imageEnv = Object.fromEntries(
  argumentsOf('ENV').flatMap((args) => [...args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
);

/** Every file below `dir`. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('transcoder/Dockerfile', () => {
  it('copies files that exist', () => {
    expect(copied).toEqual(['package.json', 'package-lock.json', 'contracts', 'transcoder']);
    for (const source of copied) expect(existsSync(join(ROOT, source)), source).toBe(true);
  });

  it('is built from a context of exactly what it copies', () => {
    const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    // Everything is excluded first; a later `!path` takes back only what the Dockerfile copies, so the
    // checkout's node_modules, .local, dist, .wrangler and .git never reach the build.
    expect(rules[0]).toBe('*');
    expect(rules.slice(1).sort()).toEqual(copied.map((source) => `!${source}`).sort());
  });

  it('runs code that needs only the production dependencies `npm ci --omit=dev` installs', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of copied.flatMap((source) =>
      source.includes('.') ? [] : filesBelow(join(ROOT, source)),
    )) {
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(file, 'utf8');
      for (const [, specifier = ''] of source.matchAll(
        /^\s*(?:import|export)(?!\s+type\s)[^'"]*?from\s+'([^']+)'/gm,
      )) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
        imported.add(
          specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : (specifier.split('/')[0] ?? ''),
        );
      }
    }
    expect([...imported].filter((name) => !(name in dependencies))).toEqual([]);
  });

  describe('its command, on the copied files alone', () => {
    const app = mkdtempSync(join(tmpdir(), 'ies-transcoder-image-'));
    afterAll(() => rmSync(app, { recursive: true, force: true }));

    /** Runs the image's CMD in `app` with the image's environment plus `env`; Node is this one. */
    function runCommand(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
      const [program, ...args] = JSON.parse(argumentsOf('CMD')[0] ?? '[]') as string[];
      expect(program).toBe('node');
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          args,
          { cwd: app, env: { PATH: process.env.PATH ?? '', ...imageEnv, ...env }, timeout: 30_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? (error.code as number) : 0, output: stdout + stderr }),
        );
      });
    }

    it('exits with code 2 naming a missing or malformed variable', async () => {
      for (const source of copied) cpSync(join(ROOT, source), join(app, source), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));

      const { code, output } = await runCommand({ INTERNAL_TOKEN: 'too-short' });
      expect(code).toBe(2);
      expect(output).toContain('JOBS_QUEUE_URL is required');
      expect(output).toContain('INTERNAL_TOKEN: must be at least 32 characters');
    });
  });
});
