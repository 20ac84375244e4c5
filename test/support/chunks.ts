/**
 * Test chunks, generated into a folder the test owns: WebM made by ffmpeg from a drawn "code editor"
 * (VP8 or VP9, variable frame rate, optionally with a tone), chunks that do not decode, and real
 * MediaRecorder output from headless Chromium, recorder restarted per chunk as the recorder SDK does.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { type ChunkExtension, formatChunkName } from '../../contracts/storage.ts';
import { media } from './media.ts';

export interface GeneratedChunkOptions {
  /** File name inside `dir`; by default one derived from the options. */
  name?: string;
  codec?: 'vp8' | 'vp9';
  width?: number;
  height?: number;
  /** Wall-clock length of the recording, seconds; the audio (if any) runs this long. */
  durationSec?: number;
  /**
   * Time of the last video frame, seconds (≤ `durationSec`). MediaRecorder's Duration is its last
   * frame's time, so a chunk that ends in an idle stretch is shorter than its slot.
   */
  contentSec?: number;
  /** Frames per second while "typing". */
  fps?: number;
  /** Drop the frames of idle stretches (0.8 s of every 2 s), as a screen capture does. Default true. */
  vfr?: boolean;
  /** A 440 Hz tone as Opus audio. */
  audio?: boolean;
}

/**
 * A light-theme editor: grey "code" lines, a line being typed and a moving cursor; no fonts needed.
 * Light so that `blackdetect` never mistakes it for a gap.
 */
function editorSource(width: number, height: number, fps: number, seconds: number): string {
  const line = Math.max(2, Math.round(height / 24));
  const boxes = Array.from({ length: 8 }, (_, i) => {
    const w = Math.round(width * (0.25 + ((i * 37) % 50) / 100));
    return `drawbox=x=${Math.round(width * 0.08)}:y=${(2 * i + 2) * line}:w=${w}:h=${line}:color=0x8a8f98:t=fill`;
  });
  const typedY = 20 * line;
  return [
    `color=c=0xf4f4f2:s=${width}x${height}:r=${fps}:d=${seconds}`,
    `drawbox=x=0:y=0:w=${Math.round(width * 0.05)}:h=ih:color=0xd0d4da:t=fill`,
    ...boxes,
    `drawbox=x=${Math.round(width * 0.08)}:y=${typedY}:w='max(2,mod(t*${Math.round(width / 6)},${Math.round(width * 0.8)}))':h=${line}:color=0x3b6fd1:t=fill`,
    `drawbox=x='${Math.round(width * 0.08)}+mod(t*${Math.round(width / 6)},${Math.round(width * 0.8)})':y=${typedY}:w=${Math.max(2, Math.round(line / 3))}:h=${line}:color=black:t=fill`,
  ].join(',');
}

/** Writes a WebM chunk made by ffmpeg and returns its path. */
export async function makeChunk(dir: string, o: GeneratedChunkOptions = {}): Promise<string> {
  const codec = o.codec ?? 'vp8';
  const width = o.width ?? 320;
  const height = o.height ?? 180;
  const durationSec = o.durationSec ?? 2;
  const contentSec = Math.min(o.contentSec ?? durationSec, durationSec);
  const fps = o.fps ?? 15;
  const vfr = o.vfr ?? true;
  const name =
    o.name ??
    `${codec}-${width}x${height}-${durationSec}s${vfr ? '-vfr' : ''}${o.audio ? '-audio' : ''}.webm`;
  const file = join(dir, name);
  // Keep the first frame, the frames of active stretches and the last one, so the file ends at `contentSec`.
  const keep = vfr ? `,select='eq(n\\,0)+lt(mod(t\\,2)\\,1.2)+gte(t\\,${contentSec - 1.5 / fps})'` : '';
  const encoder =
    codec === 'vp8'
      ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k']
      : ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-b:v', '400k'];
  await media.ffmpeg({
    global: ['-hide_banner', '-nostdin', '-v', 'error'],
    inputs: [
      { options: ['-f', 'lavfi'], source: editorSource(width, height, fps, contentSec) + keep },
      ...(o.audio
        ? [
            {
              options: ['-f', 'lavfi'],
              source: `sine=frequency=440:sample_rate=48000:duration=${durationSec}`,
            },
          ]
        : []),
    ],
    outputs: [
      {
        options: [
          '-map',
          '0:v',
          ...(o.audio ? ['-map', '1:a', '-c:a', 'libopus', '-b:a', '48k'] : []),
          ...encoder,
          '-fps_mode',
          'vfr',
          '-f',
          'webm',
        ],
        target: file,
      },
    ],
  });
  return file;
}

/**
 * A chunk whose picture size changes halfway, as when a shared window is resized while recording:
 * two VP8 pieces (`width`×`height`, then three quarters as wide) joined without re-encoding.
 */
export async function makeResizingChunk(dir: string, width = 320, height = 180): Promise<string> {
  const pieces = [width, Math.round((width * 3) / 8) * 2].map((w, i) => ({
    w,
    file: join(dir, `resize-piece-${i}.webm`),
  }));
  for (const { w, file } of pieces) {
    await media.ffmpeg({
      global: ['-hide_banner', '-nostdin', '-v', 'error'],
      inputs: [{ options: ['-f', 'lavfi'], source: editorSource(w, height, 10, 1) }],
      outputs: [
        { options: ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '300k', '-f', 'webm'], target: file },
      ],
    });
  }
  const list = join(dir, 'resize-pieces.txt');
  await writeFile(list, pieces.map((p) => `file '${p.file}'\n`).join(''));
  const file = join(dir, 'resizing.webm');
  await media.ffmpeg({
    global: ['-hide_banner', '-nostdin', '-v', 'error'],
    inputs: [{ options: ['-f', 'concat', '-safe', '0'], source: list }],
    outputs: [{ options: ['-c', 'copy', '-f', 'webm'], target: file }],
  });
  return file;
}

/**
 * A chunk for checking audio/video sync: grey, with a white flash and a 1 kHz beep both starting at
 * `atSec`, VP8 at 30 fps with Opus (whose pre-skip puts the audio's first timestamp before 0).
 */
export async function makeSyncChunk(dir: string, atSec = 1, durationSec = 3): Promise<string> {
  const file = join(dir, `sync-${atSec}.webm`);
  const during = `between(t,${atSec},${atSec + 0.099})`;
  await media.ffmpeg({
    global: ['-hide_banner', '-nostdin', '-v', 'error'],
    inputs: [
      {
        options: ['-f', 'lavfi'],
        source: `color=c=gray:s=320x180:r=30:d=${durationSec},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='${during}'`,
      },
      {
        options: ['-f', 'lavfi'],
        source: `sine=frequency=1000:sample_rate=48000:duration=${durationSec},volume=volume=0:enable='not(${during})'`,
      },
    ],
    outputs: [
      {
        options: [
          '-map',
          '0:v',
          '-map',
          '1:a',
          '-c:v',
          'libvpx',
          '-b:v',
          '300k',
          '-c:a',
          'libopus',
          '-f',
          'webm',
        ],
        target: file,
      },
    ],
  });
  return file;
}

/**
 * A chunk that does not decode: `truncated` is a valid chunk cut at 60 % of its bytes (an upload that
 * stopped), `garbage` is an EBML magic number followed by random bytes, `frameless` has a well-formed
 * VP8 track that holds not one frame, beside 2 s of audio.
 */
export async function makeUndecodableChunk(
  dir: string,
  kind: 'truncated' | 'garbage' | 'frameless',
): Promise<string> {
  const file = join(dir, `undecodable-${kind}.webm`);
  if (kind === 'garbage') {
    await writeFile(file, Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(16 * 1024)]));
    return file;
  }
  if (kind === 'frameless') {
    await media.ffmpeg({
      global: [
        '-hide_banner',
        '-nostdin',
        '-v',
        'error',
        '-filter_complex',
        'color=s=320x180:r=10:d=2,trim=end_frame=0[v]',
      ],
      inputs: [{ options: ['-f', 'lavfi'], source: 'sine=frequency=440:sample_rate=48000:duration=2' }],
      outputs: [
        {
          options: [
            '-map',
            '[v]',
            '-map',
            '0:a',
            '-c:v',
            'libvpx',
            '-c:a',
            'libopus',
            '-b:a',
            '48k',
            '-f',
            'webm',
          ],
          target: file,
        },
      ],
    });
    return file;
  }
  const whole = await readFile(await makeChunk(dir, { name: 'whole-before-truncation.webm', audio: true }));
  await writeFile(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
  return file;
}

/** One chunk recorded by MediaRecorder, saved under the service's chunk naming. */
export interface RecordedChunk {
  file: string;
  seq: number;
  /** Wall-clock start (Unix ms, the browser's `performance.timeOrigin + now()`). */
  startMs: number;
  /** Wall-clock length, stop − start, ms. */
  durationMs: number;
}

export interface RecordOptions {
  chunks: number;
  chunkMs: number;
  width?: number;
  height?: number;
  /** Default `video/webm;codecs=vp8`. */
  mimeType?: string;
  /** Record a tone from WebAudio alongside the canvas. */
  audio?: boolean;
}

/**
 * Debian Chromium headless as root with no network: no sandbox and no GPU, and no background networking,
 * component updates or sync, whose connections this machine refuses; fake capture devices and consent, plus
 * audio without a user gesture.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

interface PageChunk {
  startMs: number;
  durationMs: number;
  base64: string;
}

/**
 * Records a canvas "code editor" (typing bursts and idle stretches, so frames come at a variable rate)
 * with a new MediaRecorder per chunk, as the recorder SDK does, and writes each chunk to `dir` as
 * `<seq>-<start_ms>-<duration_ms>.<ext>`. Takes about `chunks × chunkMs` of wall-clock time.
 */
export async function recordMediaRecorderChunks(dir: string, o: RecordOptions): Promise<RecordedChunk[]> {
  const mimeType = o.mimeType ?? 'video/webm;codecs=vp8';
  const ext: ChunkExtension = mimeType.startsWith('video/mp4') ? 'mp4' : 'webm';
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const recorded: PageChunk[] = await page.evaluate(recordInPage, {
      chunks: o.chunks,
      chunkMs: o.chunkMs,
      width: o.width ?? 640,
      height: o.height ?? 360,
      mimeType,
      audio: o.audio ?? false,
    });
    return await Promise.all(
      recorded.map(async (chunk, seq) => {
        const startMs = Math.round(chunk.startMs);
        const durationMs = Math.round(chunk.durationMs);
        const file = join(dir, formatChunkName({ seq, startMs, durationMs, ext }));
        await writeFile(file, Buffer.from(chunk.base64, 'base64'));
        return { file, seq, startMs, durationMs };
      }),
    );
  } finally {
    await browser.close();
  }
}

/** Runs inside the page (serialised by Playwright): everything it uses is defined within. */
async function recordInPage(o: {
  chunks: number;
  chunkMs: number;
  width: number;
  height: number;
  mimeType: string;
  audio: boolean;
}): Promise<PageChunk[]> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const now = () => performance.timeOrigin + performance.now();
  let seed = 42;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const canvas = document.createElement('canvas');
  canvas.width = o.width;
  canvas.height = o.height;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  const code = [
    'export async function handle(job: ChunkJob): Promise<void> {',
    '  const local = await download(job.key);',
    '  const probe = await probeChunk(local);',
    '  if (!probe.decodable) return markGap(job, probe.reason);',
    '  for (const r of renditionsFor(probe.height)) {',
    "    segments[r] = join(outDir, r, name + '.ts');",
    '  }',
    '  await encodeChunk({ input: local, outDir, name, slot });',
    '}',
  ].join('\n');
  const size = Math.max(8, Math.round(o.height / 28));
  let typed = 0;
  const draw = () => {
    ctx.fillStyle = '#f4f4f2';
    ctx.fillRect(0, 0, o.width, o.height);
    ctx.fillStyle = '#d0d4da';
    ctx.fillRect(0, 0, size * 3, o.height);
    ctx.font = `${size}px monospace`;
    ctx.fillStyle = '#1f2328';
    const text = code.slice(0, typed % code.length).split('\n');
    text.forEach((line, i) => {
      ctx.fillText(line, size * 4, size * 2 + i * size * 1.5);
    });
    const last = text.at(-1) ?? '';
    ctx.fillRect(
      size * 4 + ctx.measureText(last).width,
      size * 1.2 + (text.length - 1) * size * 1.5,
      2,
      size,
    );
  };
  draw();
  let typing = true;
  const typist = (async () => {
    while (typing) {
      const burst = 5 + Math.floor(random() * 15);
      for (let i = 0; i < burst && typing; i++) {
        typed++;
        draw();
        await sleep(60 + random() * 80);
      }
      await sleep(400 + random() * 1600);
    }
  })();
  // No frame rate: the track delivers a frame whenever the canvas changes, i.e. a variable rate.
  const stream = canvas.captureStream();
  if (o.audio) {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const sink = audio.createMediaStreamDestination();
    tone.connect(sink);
    tone.start();
    const track = sink.stream.getAudioTracks()[0];
    if (track) stream.addTrack(track);
  }
  const start = () => {
    const recorder = new MediaRecorder(stream, { mimeType: o.mimeType });
    const parts: Blob[] = [];
    recorder.ondataavailable = (e) => parts.push(e.data);
    const stopped = new Promise<Blob>((resolve) => {
      recorder.onstop = () => resolve(new Blob(parts, { type: o.mimeType }));
    });
    const startMs = now();
    recorder.start();
    return { recorder, stopped, startMs };
  };
  const toBase64 = async (blob: Blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  };
  const chunks: PageChunk[] = [];
  const origin = now();
  let current = start();
  for (let i = 0; i < o.chunks; i++) {
    await sleep(origin + (i + 1) * o.chunkMs - now());
    const stopMs = now();
    current.recorder.stop();
    const previous = current;
    if (i + 1 < o.chunks) current = start();
    chunks.push({
      startMs: previous.startMs,
      durationMs: stopMs - previous.startMs,
      base64: await toBase64(await previous.stopped),
    });
  }
  typing = false;
  await typist;
  return chunks;
}
