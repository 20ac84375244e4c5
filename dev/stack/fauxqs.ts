/**
 * fauxqs (S3 and SQS) on loopback only. fauxqs 2.4.1 listens on 0.0.0.0 whatever its `host` option says
 * (`app.listen({ port, host: "0.0.0.0" })` in its dist/app.js; its `host` only names queue URLs), which would
 * let anyone on the network read and write a developer's recordings: it checks no signature. Until it
 * takes a listen address, the one listen it makes while starting is moved to 127.0.0.1.
 */
import { Server } from 'node:net';
import { type FauxqsServer, startFauxqs } from 'fauxqs';

type StartOptions = NonNullable<Parameters<typeof startFauxqs>[0]>;

/** Starts fauxqs listening on 127.0.0.1 only. */
export async function startLoopbackFauxqs(options: StartOptions): Promise<FauxqsServer> {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const [first] = args;
    if (first && typeof first === 'object' && (first as { host?: string }).host === '0.0.0.0') {
      args[0] = { ...first, host: '127.0.0.1' };
    }
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  try {
    return await startFauxqs(options);
  } finally {
    Server.prototype.listen = listen;
  }
}
