/**
 * The API's front (`worker-front.ts`) as a process of its own, so that stopping the stack's own process
 * (as the outage tests do, to stall the S3/SQS emulator and the database bridge it hosts) leaves the API
 * answering. Prints the front's URL as its first line on stdout; SIGTERM stops it.
 *
 *   node dev/stack/worker-front-main.ts --port N --wrangler-port N --probe-path /path
 */
import { parseArgs } from 'node:util';
import { startWorkerFront } from './worker-front.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'wrangler-port': { type: 'string' },
    'probe-path': { type: 'string' },
  },
});
if (!values['wrangler-port'] || !values['probe-path']) {
  console.error('usage: worker-front-main.ts --port N --wrangler-port N --probe-path /path');
  process.exit(2);
}
const front = await startWorkerFront({
  port: Number(values.port),
  wranglerPort: Number(values['wrangler-port']),
  probePath: values['probe-path'],
});
console.log(front.url);
process.once('SIGTERM', () => {
  front.stop().then(() => process.exit(0));
});
