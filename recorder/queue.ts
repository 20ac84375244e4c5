/**
 * The persistent upload queue: every chunk is written to IndexedDB before any upload starts and leaves
 * only once S3 holds it and the service accepted its notice, so neither a network outage nor a page
 * reload loses a recorded chunk. Each asset's next `seq` is kept per session beside the chunks, in the
 * same transaction, so a reload continues numbering after the highest seq the session used.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { Asset, UploadContentType } from '../contracts/storage.ts';

/** One recorded chunk waiting for upload. */
export interface QueuedChunk {
  /** Queue order; negative for a chunk the browser refused to store (kept in memory). */
  id: number;
  session: string;
  asset: Asset;
  seq: number;
  name: string;
  contentType: UploadContentType;
  blob: Blob;
  /** The object key, once S3 accepted the upload: after a reload the chunk is only announced. */
  key?: string;
}

interface QueueSchema extends DBSchema {
  chunks: { key: number; value: Omit<QueuedChunk, 'id'> & { id?: number }; indexes: { session: string } };
  counters: { key: [string, Asset]; value: { session: string; asset: Asset; next: number } };
}

const DB_NAME = 'ies-recorder';

/**
 * The browser did not store a chunk (`full`: it refused for quota): the chunk is queued in memory and
 * still uploaded while the page lives, and the caller must say so.
 */
export class NotStoredError extends Error {
  readonly full: boolean;
  readonly chunk: QueuedChunk;

  constructor(chunk: QueuedChunk, cause: unknown) {
    const full = cause instanceof DOMException && cause.name === 'QuotaExceededError';
    super(
      `${full ? "the browser's storage is full" : `the chunk queue failed (${String(cause)})`}: ` +
        `${chunk.asset} chunk ${chunk.seq} is kept in memory only`,
    );
    this.name = 'NotStoredError';
    this.full = full;
    this.chunk = chunk;
  }
}

/** One session's queue. */
export class ChunkQueue {
  private readonly memory: QueuedChunk[] = [];
  private memoryIds = 0;
  private count = 0;
  private readonly db: IDBPDatabase<QueueSchema>;
  readonly session: string;
  private readonly nextSeq: Map<Asset, number>;

  private constructor(db: IDBPDatabase<QueueSchema>, session: string, nextSeq: Map<Asset, number>) {
    this.db = db;
    this.session = session;
    this.nextSeq = nextSeq;
  }

  /** Opens the queue of `session`, with each asset's seq counter as a previous page left it. */
  static async open(session: string, assets: readonly Asset[]): Promise<ChunkQueue> {
    const db = await openDB<QueueSchema>(DB_NAME, 1, {
      upgrade(database) {
        database
          .createObjectStore('chunks', { keyPath: 'id', autoIncrement: true })
          .createIndex('session', 'session');
        database.createObjectStore('counters', { keyPath: ['session', 'asset'] });
      },
    });
    const nextSeq = new Map<Asset, number>();
    for (const asset of assets) nextSeq.set(asset, (await db.get('counters', [session, asset]))?.next ?? 0);
    const queue = new ChunkQueue(db, session, nextSeq);
    queue.count = await db.countFromIndex('chunks', 'session', session);
    return queue;
  }

  /** Chunks waiting, stored and in memory. */
  get length(): number {
    return this.count;
  }

  /**
   * Takes the asset's next seq, builds the chunk with it and stores the chunk and the counter together.
   * Throws NotStoredError when the browser does not store it (the chunk is then queued in memory).
   */
  async add(
    asset: Asset,
    build: (seq: number) => Pick<QueuedChunk, 'name' | 'contentType' | 'blob'>,
  ): Promise<QueuedChunk> {
    // Taken synchronously, so chunks finishing at the same moment never share a seq.
    const seq = this.nextSeq.get(asset) ?? 0;
    this.nextSeq.set(asset, seq + 1);
    const record = { session: this.session, asset, seq, ...build(seq) };
    this.count++;
    try {
      const tx = this.db.transaction(['chunks', 'counters'], 'readwrite');
      const [id] = await Promise.all([
        tx.objectStore('chunks').add(record),
        tx.objectStore('counters').put({ session: this.session, asset, next: seq + 1 }),
        tx.done,
      ]);
      return { ...record, id };
    } catch (error) {
      const chunk = { ...record, id: --this.memoryIds };
      this.memory.push(chunk);
      throw new NotStoredError(chunk, error);
    }
  }

  /** Every waiting chunk of the session, oldest first (stored ones, then those kept in memory). */
  async pending(): Promise<QueuedChunk[]> {
    const stored = await this.db.getAllFromIndex('chunks', 'session', this.session);
    return [...(stored as QueuedChunk[]), ...this.memory];
  }

  /** Records that S3 holds the chunk under `key`. */
  async landed(chunk: QueuedChunk, key: string): Promise<void> {
    chunk.key = key;
    if (chunk.id >= 0) await this.db.put('chunks', chunk);
  }

  /** The chunk is in S3 and announced: it leaves the queue. */
  async remove(chunk: QueuedChunk): Promise<void> {
    if (chunk.id >= 0) await this.db.delete('chunks', chunk.id);
    else this.memory.splice(this.memory.indexOf(chunk), 1);
    this.count--;
  }

  close(): void {
    this.db.close();
  }
}
