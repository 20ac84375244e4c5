/**
 * `npm start`: the whole system locally, with a demo tenant, until Ctrl-C.
 * Flags: `--reset` starts from empty data; `--port N` serves the API on N (default 8787, or a free port
 * when 8787 is taken).
 */
import { parseArgs } from 'node:util';
import { startStack } from './stack/index.ts';
import { assertPortFree } from './stack/ports.ts';
import { ensureSystemPackages } from './system-packages.ts';

const DEFAULT_API_PORT = 8787;
const { values } = parseArgs({
  options: { reset: { type: 'boolean', default: false }, port: { type: 'string' } },
});

async function apiPort(): Promise<number | undefined> {
  if (values.port) return Number(values.port);
  try {
    await assertPortFree(DEFAULT_API_PORT, 'Worker');
    return DEFAULT_API_PORT;
  } catch {
    console.error(`Port ${DEFAULT_API_PORT} is in use; serving the API on a free port instead.`);
    return undefined;
  }
}

// Installed before anything starts: a Ctrl-C during start-up exits through process.exit, whose 'exit'
// handlers stop the services already started (wrangler runs in a process group of its own).
let stack: Awaited<ReturnType<typeof startStack>> | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.error('Stopping…');
    await stack?.stop();
    process.exit(0);
  });
}

ensureSystemPackages(['mariadb-server', 'ffmpeg']);
stack = await startStack({
  dir: '.local',
  reset: values.reset,
  ports: { api: await apiPort() },
  transcoder: true,
  log: (line) => console.error(line),
});
const { info } = stack;
console.log(`
Integrity Events Service is running.
  API          ${info.apiBase}
  API docs     ${info.docsUrl}
  OpenAPI      ${info.apiBase}/openapi.json
  Health       ${info.apiBase}/health
  S3 + SQS     ${info.s3.endpoint}  (bucket ${info.s3.bucket}; browser uploads via ${info.s3.uploadEndpoint})
  Transcoder   ${info.transcoder?.healthUrl ?? 'not running'}
  Demo tenant  ${info.tenant.slug} ${info.tenant.uuid}
  Demo page    ${info.demoUrl}/candidate?unique_identifier=attempt-1  (records your screen and webcam)
  API key      ${info.tenant.apiKey}
  Admin token  ${info.adminToken}
Connection details: .local/stack.json. Ctrl-C stops everything.
Try: curl -s -X POST ${info.apiBase}/session -H 'X-API-TOKEN: ${info.tenant.apiKey}' -H 'Content-Type: application/json' -d '{"unique_identifier":"attempt-1","session_metadata":{}}'
`);
