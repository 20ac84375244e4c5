/**
 * The Debian packages the local stack and the tests run: installed with apt-get when running as root and
 * missing, otherwise a clear message naming what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → a file it installs, to tell whether it is there. */
const PACKAGES: Record<string, string> = {
  'mariadb-server': '/usr/sbin/mariadbd',
  ffmpeg: '/usr/bin/ffmpeg',
  chromium: '/usr/bin/chromium',
};

export type SystemPackage = keyof typeof PACKAGES;

/** Ensures the packages are installed; throws with the install command when it cannot install them. */
export function ensureSystemPackages(
  names: SystemPackage[],
  log: (line: string) => void = console.error,
): void {
  const missing = names.filter((name) => !existsSync(PACKAGES[name] ?? ''));
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`Missing system packages: ${missing.join(', ')}. Install them, e.g.: sudo ${command}`);
  }
  log(`Installing ${missing.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}
