/**
 * The transcoder's S3 uploads against fauxqs: a file larger than one part goes up in parts and reads back
 * byte for byte; one aborted midway rejects and leaves no object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../transcoder/storage/s3.ts';

let fauxqs: FauxqsServer;
let s3: S3Client;
let dir: string;
/** 20 MiB: three parts of 8 MiB, the last one short. */
let large: string;

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  fauxqs.createBucket('recordings');
  s3 = client();
  dir = await mkdtemp(join(tmpdir(), 'ies-storage-'));
  large = join(dir, 'recording.mp4');
  await writeFile(large, randomBytes(20 * 1024 * 1024));
});

afterAll(async () => {
  await fauxqs?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('upload', () => {
  it('sends a file larger than one part in parts, typed by its extension, and it reads back the same', async () => {
    const parts: number[] = [];
    const counting = createStorage(
      client({ command: 'UploadPartCommand', call: (input) => parts.push(Number(input.PartNumber)) }),
      'recordings',
    );
    await counting.upload('a/stitched_video/recording.mp4', large);
    expect(parts.sort()).toEqual([1, 2, 3]);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'recordings', Key: 'a/stitched_video/recording.mp4' }),
    );
    expect(head).toMatchObject({ ContentType: 'video/mp4', ContentLength: 20 * 1024 * 1024 });
    const back = join(dir, 'back.mp4');
    await counting.download('a/stitched_video/recording.mp4', back);
    expect((await readFile(back)).equals(await readFile(large))).toBe(true);
  });

  it('stops a large upload when aborted, rejects, and leaves no object', async () => {
    const controller = new AbortController();
    const storage = createStorage(
      client({ command: 'UploadPartCommand', call: () => controller.abort(new Error('job cancelled')) }),
      'recordings',
    );
    await expect(
      storage.upload('b/stitched_video/recording.mp4', large, controller.signal),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await storage.list('b/')).toEqual([]);
  });
});

/** An S3 client of fauxqs; with a hook, it calls `hook` with the input of every `command` it is about to send. */
function client(hook?: { command: string; call: (input: Record<string, unknown>) => void }): S3Client {
  const created = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${fauxqs.port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  if (hook) {
    created.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === hook.command) hook.call(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize' },
    );
  }
  return created;
}
