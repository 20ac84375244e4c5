/**
 * `npm start` as a user and a supervisor end it: every process the local stack started must be gone
 * afterwards, whether it was stopped with Ctrl-C or its whole process group was killed with SIGKILL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  commandLine,
  gone,
  isLoopback,
  type LocalStack,
  listeningAddresses,
  startLocalStack,
} from '../support/local-stack.ts';

let stack: LocalStack | undefined;

afterEach(async () => {
  await stack?.dispose();
  stack = undefined;
});

describe('the local stack', () => {
  it('listens on loopback only, and leaves no process behind when its group is killed with SIGKILL', async () => {
    stack = await startLocalStack();
    const { child, processes } = stack;
    const { apiBase } = stack.info;
    const names = processes.map(commandLine).join('\n');
    // The processes that used to survive: wrangler with its esbuild and workerd, and the transcoder.
    for (const name of ['wrangler', 'workerd', 'esbuild', 'mariadbd', 'transcoder/main.ts']) {
      expect(names).toContain(name);
    }
    const addresses = listeningAddresses(processes);
    // MariaDB, the PlanetScale-protocol server, fauxqs, its CORS front, workerd and the transcoder's health.
    expect(addresses.length).toBeGreaterThanOrEqual(6);
    expect(addresses.filter((address) => !isLoopback(address))).toEqual([]);

    process.kill(-(child.pid ?? 0), 'SIGKILL');
    const left = await gone(processes, 10_000);
    expect(left.map(commandLine)).toEqual([]);
    await expect(fetch(`${apiBase}/health`)).rejects.toThrow();
  });

  it('stops everything within 5 s of Ctrl-C', async () => {
    stack = await startLocalStack();
    const { child, processes } = stack;
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const asked = Date.now();
    // A terminal's Ctrl-C: SIGINT to the foreground process group.
    process.kill(-(child.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    const left = await gone(processes, Math.max(0, 5000 - (Date.now() - asked)));
    expect(left.map(commandLine)).toEqual([]);
    expect(Date.now() - asked).toBeLessThan(5000);
  });
});
