/**
 * The candidate's recorder: screen and webcam as self-contained chunks, screenshots, clock sync and a
 * persistent upload queue, named and uploaded as the service's storage layout expects. Served by the
 * Worker at `/ies/sdk/recorder.js`:
 *
 * ```js
 * import { createRecorder } from 'https://…/ies/sdk/recorder.js';
 * const recorder = createRecorder({ apiBase, token, assets: ['screenshare', 'webcam', 'screenshots'] });
 * recorder.on('share_stopped', () => …);
 * await recorder.start();
 * const summary = await recorder.stop();
 * ```
 */
import { type Asset, formatChunkName, type UploadContentType, VIDEO_ASSETS } from '../contracts/storage.ts';
import { ServiceApi, sessionOfToken } from './api.ts';
import { ChunkRecorder, pickVideoType, type RecordedChunk } from './capture.ts';
import { ServerClock } from './clock.ts';
import { Emitter, type RecorderState, type RecorderStats, type RecorderSummary } from './events.ts';
import { ChunkQueue, NotStoredError } from './queue.ts';
import { reportSignals } from './reporter.ts';
import { ScreenshotTaker } from './screenshots.ts';
import { watchIntegrity } from './signals.ts';
import { Uploader } from './uploader.ts';

export {
  RECORDER_EVENTS,
  type RecorderEventName,
  type RecorderEvents,
  type RecorderStats,
  type RecorderSummary,
} from './events.ts';

export interface RecorderOptions {
  /** The service's API base, e.g. `https://ies.example.com/ies/api/v2`. */
  apiBase: string;
  /** The candidate token the tenant's server obtained for this session. */
  token: string;
  assets: readonly Asset[];
  /** Length of each video chunk, ms (default 5000). */
  chunkMs?: number;
  /** Interval of screenshots when `screenshots` is an asset, ms (default 10000). */
  screenshotEveryMs?: number;
  /** More queued chunks than this raise `backlog` (default 12: a minute of screen and webcam). */
  backlogThreshold?: number;
  /** How long `stop()` waits for the queue to empty, ms (default 120000). */
  flushTimeoutMs?: number;
}

export interface Recorder {
  /** Asks for the screen and webcam, syncs the clock and starts recording; resumes a queue left behind. */
  start(): Promise<void>;
  /** Stops recording, uploads what is queued (up to `flushTimeoutMs`) and summarises. */
  stop(): Promise<RecorderSummary>;
  on: Emitter['on'];
  stats(): RecorderStats;
}

const perAsset = (): Record<Asset, number> => ({ screenshare: 0, webcam: 0, screenshots: 0 });

/** A recorder for one candidate token's session. */
export function createRecorder(options: RecorderOptions): Recorder {
  const chunkMs = options.chunkMs ?? 5000;
  const backlogThreshold = options.backlogThreshold ?? 12;
  const events = new Emitter();
  const { emit } = events;
  const api = new ServiceApi(options.apiBase, options.token);
  const clock = new ServerClock(api, emit);
  const signals = reportSignals(events, api, () => clock.serverTime());
  const wants = (asset: Asset) => options.assets.includes(asset);
  const stats: RecorderStats = {
    state: 'idle',
    pending: 0,
    bytesUploaded: 0,
    recorded: perAsset(),
    uploaded: perAsset(),
    lastError: null,
    clockOffsetMs: null,
    clockRttMs: null,
  };
  let queue: ChunkQueue | undefined;
  let uploader: Uploader | undefined;
  let backlogged = false;
  const recorders: ChunkRecorder[] = [];
  const streams: MediaStream[] = [];
  let screenshots: ScreenshotTaker | undefined;
  let unwatch = () => {};

  const setState = (state: RecorderState) => {
    stats.state = state;
    emit('state', { state });
  };
  const fail = (message: string) => {
    stats.lastError = message;
    emit('error', { message });
  };
  const queueChanged = () => {
    stats.pending = queue?.length ?? 0;
    emit('queue', { pending: stats.pending, bytesUploaded: stats.bytesUploaded });
    if (!backlogged && stats.pending > backlogThreshold) emit('backlog', { pending: stats.pending });
    backlogged = stats.pending > backlogThreshold;
  };
  events.on('clock', ({ offsetMs, rttMs }) => {
    stats.clockOffsetMs = offsetMs;
    stats.clockRttMs = rttMs;
  });

  /** Queues a chunk under the asset's next seq; a chunk the browser does not store is kept in memory. */
  const enqueue = async (
    asset: Asset,
    blob: Blob,
    contentType: UploadContentType,
    name: (seq: number) => string,
  ) => {
    if (!queue) return;
    let seq: number;
    try {
      seq = (await queue.add(asset, (next) => ({ name: name(next), contentType, blob }))).seq;
    } catch (error) {
      if (!(error instanceof NotStoredError)) throw error;
      seq = error.chunk.seq;
      if (error.full) emit('storage_full', { asset, seq });
      fail(error.message);
    }
    stats.recorded[asset]++;
    emit('chunk', { asset, seq, name: name(seq), bytes: blob.size });
    queueChanged();
    uploader?.notify();
  };
  const onVideoChunk = (chunk: RecordedChunk) => {
    const startMs = clock.serverTime(chunk.startMs);
    return enqueue(chunk.asset, chunk.blob, chunk.contentType, (seq) =>
      formatChunkName({ seq, startMs, durationMs: chunk.durationMs, ext: chunk.ext }),
    );
  };
  const onScreenshot = (blob: Blob, at: number) => {
    const startMs = clock.serverTime(at);
    return enqueue('screenshots', blob, 'image/jpeg', (seq) =>
      formatChunkName({ seq, startMs, durationMs: 0, ext: 'jpg' }),
    );
  };

  const capture = async () => {
    const screen =
      wants('screenshare') || wants('screenshots')
        ? await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 30 } }, audio: false })
        : undefined;
    if (screen) streams.push(screen);
    const webcam = wants('webcam')
      ? await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
      : undefined;
    if (webcam) streams.push(webcam);
    const mimeType = pickVideoType((type) => MediaRecorder.isTypeSupported(type));
    if (!mimeType) throw new Error('this browser records none of H.264, VP9 or VP8');
    for (const asset of VIDEO_ASSETS) {
      const stream = asset === 'screenshare' ? screen : webcam;
      if (!wants(asset) || !stream) continue;
      recorders.push(new ChunkRecorder({ asset, stream, mimeType, chunkMs, onChunk: onVideoChunk, emit }));
    }
    if (screen && wants('screenshots')) {
      screenshots = new ScreenshotTaker(screen, options.screenshotEveryMs ?? 10_000, onScreenshot);
      const taker = screenshots;
      screen.getVideoTracks()[0]?.addEventListener('ended', () => void taker.stop());
    }
    unwatch = watchIntegrity({ screen, webcam }, emit);
    for (const recorder of recorders) recorder.start();
    await screenshots?.start();
  };

  return {
    on: (event, listener) => events.on(event, listener),
    stats: () => ({ ...stats, recorded: { ...stats.recorded }, uploaded: { ...stats.uploaded } }),

    async start() {
      if (stats.state !== 'idle') throw new Error(`start() when ${stats.state}`);
      setState('starting');
      try {
        queue = await ChunkQueue.open(sessionOfToken(options.token), options.assets);
        uploader = new Uploader(queue, api, {
          landed: (chunk) => {
            stats.bytesUploaded += chunk.blob.size;
          },
          uploaded: (chunk) => {
            stats.uploaded[chunk.asset]++;
            emit('uploaded', {
              asset: chunk.asset,
              seq: chunk.seq,
              name: chunk.name,
              bytes: chunk.blob.size,
            });
            queueChanged();
          },
          failed: fail,
        });
        // A queue a previous page left behind starts uploading at once.
        uploader.start();
        queueChanged();
        await clock.start();
        await capture();
        setState('recording');
      } catch (error) {
        fail(`start: ${(error as Error).message}`);
        setState('failed');
        throw error;
      }
    },

    async stop() {
      setState('stopping');
      await Promise.all([...recorders.map((recorder) => recorder.stop()), screenshots?.stop()]);
      unwatch();
      for (const stream of streams) for (const track of stream.getTracks()) track.stop();
      clock.stop();
      const flushMs = options.flushTimeoutMs ?? 120_000;
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, flushMs));
      await Promise.all([uploader?.flush(flushMs), Promise.race([signals.flush(), deadline])]);
      await uploader?.stop();
      queueChanged();
      queue?.close();
      setState('stopped');
      return {
        chunks: { ...stats.recorded },
        uploaded: { ...stats.uploaded },
        bytes: stats.bytesUploaded,
        pending: stats.pending,
      };
    },
  };
}
