/**
 * Operator CLI: finalize one session without the queue, with a progress bar on stderr.
 *
 *   npm run transcode -- --tenant <tenant_uuid> --session <session_uuid> [--reprocess]
 *
 * Configuration comes from the environment, as for the service (`transcoder/README.md`). The outcome is
 * reported like a queued finalize's: status to the Worker, `session.processed` or `session.failed`.
 */
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FinalizeJob } from '../contracts/jobs.ts';
import { ConfigError, loadConfig } from './config.ts';
import { runJob } from './jobs/index.ts';
import { createJsonLogger, type LogFields, type Logger } from './log.ts';
import { createServices } from './services.ts';

const USAGE = 'usage: npm run transcode -- --tenant <tenant_uuid> --session <session_uuid> [--reprocess]';
const BAR_WIDTH = 30;

/**
 * On a terminal: one bar for the current step, redrawn in place on the last line, with messages printed
 * above it. `end` leaves the bar on its own line.
 */
function terminalLogger(stream: NodeJS.WriteStream): Logger & { end(): void } {
  let bar = '';
  const print = (text: string) => stream.write(`\r\x1b[2K${text}${bar}`);
  const make = (bound: LogFields): Logger => {
    const line = (level: string, msg: string, fields: LogFields = {}) => {
      const details = Object.entries({ ...bound, ...fields })
        .filter(([key]) => !['tenantId', 'sessionId', 'jobType'].includes(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      print(`${level === 'info' ? '' : `${level}: `}${[msg, ...details].join(' ')}\n`);
    };
    return {
      info: (msg, fields) => line('info', msg, fields),
      warn: (msg, fields) => line('warn', msg, fields),
      error: (msg, fields) => line('error', msg, fields),
      progress(step, fraction) {
        const share = Math.min(1, Math.max(0, fraction));
        const done = Math.round(share * BAR_WIDTH);
        bar = `${step.padEnd(16)} [${'#'.repeat(done)}${'.'.repeat(BAR_WIDTH - done)}] ${String(Math.round(share * 100)).padStart(3)}%`;
        print('');
      },
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return {
    ...make({}),
    end() {
      if (bar) stream.write('\n');
      bar = '';
    },
  };
}

function parse(): FinalizeJob {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      session: { type: 'string' },
      reprocess: { type: 'boolean', default: false },
    },
  });
  const job = FinalizeJob.safeParse({
    version: 1,
    type: 'finalize',
    tenant_uuid: values.tenant,
    session_uuid: values.session,
    requested_at: new Date().toISOString(),
    reprocess: values.reprocess,
  });
  if (!job.success) {
    const problems = job.error.issues.map(
      (issue) => `--${String(issue.path[0]).replace('_uuid', '')}: ${issue.message}`,
    );
    process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
    process.exit(2);
  }
  return job.data;
}

const job = parse();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
await mkdir(config.workDir, { recursive: true });

const terminal = process.stderr.isTTY ? terminalLogger(process.stderr) : undefined;
const log = terminal ?? createJsonLogger({}, { write: (line) => process.stderr.write(`${line}\n`) });
const { services } = createServices(config, log);
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => interrupted.abort(new Error(`interrupted by ${signal}`)));
}
try {
  await runJob(services, job, { signal: interrupted.signal, lastAttempt: true });
  terminal?.end();
  process.exit(0);
} catch {
  terminal?.end();
  process.exit(interrupted.signal.aborted ? 130 : 1);
}
