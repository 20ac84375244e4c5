/**
 * The transcoder's S3 I/O: list, read, write and stream objects of the recordings bucket. Every write is
 * one PutObject or one multipart upload, which S3 makes visible all at once when it completes, so readers
 * see an object whole or not at all; downloads land under a temporary name and are renamed when complete.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { z } from 'zod';
import type { Config } from '../config.ts';

/** An object as a listing shows it. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Options of a small write. */
export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
  /**
   * Write only if no object has the key yet (`If-None-Match: *`, S3 conditional writes). Where the
   * store ignores the condition the write simply happens; callers re-read to converge.
   */
  onlyIfAbsent?: boolean;
}

/** S3 operations on one bucket. */
export interface Storage {
  readonly bucket: string;
  /** Every object under a prefix, in key order (all pages). */
  list(prefix: string, signal?: AbortSignal): Promise<StoredObject[]>;
  /** The object's text, or `null` when there is none. */
  getText(key: string, signal?: AbortSignal): Promise<string | null>;
  /** The object parsed as JSON and validated, or `null` when there is none. */
  getJson<T>(key: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T | null>;
  /** Writes text; `false` when `onlyIfAbsent` was asked and an object already had the key. */
  putText(key: string, text: string, options?: PutOptions): Promise<boolean>;
  /** Writes a value as JSON (see `putText`). */
  putJson(key: string, value: unknown, options?: PutOptions): Promise<boolean>;
  /** Uploads a local file, typed by its extension. */
  upload(key: string, file: string, signal?: AbortSignal): Promise<void>;
  /** Downloads an object to a local file, which exists only once complete. */
  download(key: string, file: string, signal?: AbortSignal): Promise<void>;
  /** Deletes these objects, in batches of S3's 1000 keys per request; a key with no object is no error. */
  deleteKeys(keys: readonly string[], signal?: AbortSignal): Promise<void>;
}

/** An S3 client for the configured region and credentials; a local endpoint implies path-style URLs. */
export function createS3Client(config: Pick<Config, 'aws' | 's3' | 'upstreamTimeoutMs'>): S3Client {
  return new S3Client({
    region: config.aws.region,
    credentials: config.aws.credentials,
    // The SDK's Node handler options: time to connect, and how long the socket may stay silent
    // (@smithy/node-http-handler 4; its `requestTimeout` only warns unless told to throw). Without them a
    // stalled endpoint holds a request, and the job around it, forever.
    requestHandler: { connectionTimeout: config.upstreamTimeoutMs, socketTimeout: config.upstreamTimeoutMs },
    ...(config.s3.endpoint ? { endpoint: config.s3.endpoint, forcePathStyle: true } : {}),
  });
}

const CONTENT_TYPES: Record<string, string> = {
  '.ts': 'video/mp2t',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.vtt': 'text/vtt',
  '.json': 'application/json',
};

/** Playlists change while a session records; everything else is written once per name. */
const PLAYLIST_CACHE_CONTROL = 'no-cache';

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof S3ServiceException && statuses.includes(error.$metadata.httpStatusCode ?? 0);
}

// S3 DeleteObjects takes at most 1000 keys per request.
const DELETE_BATCH = 1000;
/**
 * Files above this go up in parts of this size: a stitched recording of a long session is hundreds of
 * megabytes, which one PUT can carry on S3 (up to 5 GB) but which a retry would resend whole, and which
 * local emulators refuse (fauxqs accepts 11 MiB per request). S3 parts must be at least 5 MiB.
 */
const PART_BYTES = 8 * 1024 * 1024;
const PART_PARALLELISM = 4;

/**
 * Uploads a large file in parts with lib-storage's `Upload`, which aborts the multipart upload when it
 * fails or is aborted (`leavePartsOnError` false), so no parts are left billed. It holds at most
 * `PART_PARALLELISM × PART_BYTES` of the file in memory (lib-storage, `Configuration.queueSize`).
 */
async function uploadInParts(
  client: S3Client,
  target: { Bucket: string; Key: string; ContentType: string },
  file: string,
  signal?: AbortSignal,
) {
  signal?.throwIfAborted();
  const abortController = new AbortController();
  const abort = () => abortController.abort(signal?.reason);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await new Upload({
      client,
      params: { ...target, Body: createReadStream(file) },
      partSize: PART_BYTES,
      queueSize: PART_PARALLELISM,
      leavePartsOnError: false,
      abortController,
    }).done();
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/** The bucket's operations over a client. */
export function createStorage(client: S3Client, bucket: string): Storage {
  const putText: Storage['putText'] = async (key, text, options = {}) => {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: text,
          ContentType: options.contentType ?? CONTENT_TYPES[extname(key)] ?? 'text/plain; charset=utf-8',
          CacheControl: options.cacheControl ?? (key.endsWith('.m3u8') ? PLAYLIST_CACHE_CONTROL : undefined),
          ...(options.onlyIfAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
      return true;
    } catch (error) {
      // 412: the key exists. 409: a concurrent conditional write to the same key won the race.
      if (options.onlyIfAbsent && isStatus(error, 412, 409)) return false;
      throw error;
    }
  };

  const getText: Storage['getText'] = async (key, signal) => {
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  };

  return {
    bucket,
    async list(prefix, signal) {
      const objects: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          { abortSignal: signal },
        );
        for (const item of page.Contents ?? []) {
          if (item.Key) {
            objects.push({
              key: item.Key,
              size: item.Size ?? 0,
              lastModified: item.LastModified ?? new Date(0),
            });
          }
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return objects;
    },
    getText,
    async getJson(key, schema, signal) {
      const text = await getText(key, signal);
      return text === null ? null : schema.parse(JSON.parse(text));
    },
    putText,
    putJson(key, value, options) {
      return putText(key, `${JSON.stringify(value, null, 2)}\n`, {
        contentType: 'application/json',
        ...options,
      });
    },
    async upload(key, file, signal) {
      const target = {
        Bucket: bucket,
        Key: key,
        ContentType: CONTENT_TYPES[extname(key)] ?? 'application/octet-stream',
      };
      const { size } = await stat(file);
      if (size > PART_BYTES) return uploadInParts(client, target, file, signal);
      // One part's worth goes in one streamed PUT: `Upload` would read it into memory first.
      await client.send(
        new PutObjectCommand({ ...target, Body: createReadStream(file), ContentLength: size }),
        {
          abortSignal: signal,
        },
      );
    },
    async download(key, file, signal) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      const partial = `${file}.part`;
      try {
        await pipeline(response.Body as Readable, createWriteStream(partial), { signal });
        await rename(partial, file);
      } finally {
        await rm(partial, { force: true });
      }
    },
    async deleteKeys(keys, signal) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        const result = await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
          { abortSignal: signal },
        );
        const failed = result.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(
            `could not delete ${failed.length} objects, first ${failed[0]?.Key}: ${failed[0]?.Message}`,
          );
        }
      }
    },
  };
}
