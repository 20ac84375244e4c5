/**
 * A copy of the working tree for a benchmark run, so that the code measured is the code as it was when
 * the run began.
 *
 * `wrangler dev` rebuilds and restarts the Worker whenever a file of its bundle or of its assets folder
 * changes (esbuild watch mode and a watcher on `[assets] directory`; wrangler 4.86 has no flag to turn
 * either off). In a working tree that others edit meanwhile, or where `npm test` rebuilds the SDK into
 * `dist/assets`, a run otherwise measures several versions of the Worker, its socket moves to a new port,
 * and while a half-saved file does not build, wrangler's proxy holds every request unanswered (README,
 * Known issues). The copy is what git would see (tracked files and untracked ones not ignored) plus the
 * built SDK; `node_modules` is linked, not copied.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
/** Ignored by git but read by `wrangler dev`: the SDK build (`npm run build:sdk`) served as assets. */
const BUILT_ASSETS = 'dist/assets';

/** Copies the repository's working tree into `dir` (which must not exist yet) and returns `dir`. */
export async function snapshotWorkingTree(dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await cp(join(ROOT, file), join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      // Tracked but deleted in the working tree: not part of it.
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await mkdir(join(dir, BUILT_ASSETS), { recursive: true });
  await cp(join(ROOT, BUILT_ASSETS), join(dir, BUILT_ASSETS), { recursive: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    },
  );
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
