/**
 * The page the benchmark records, bundled with the recorder SDK's `ChunkRecorder` and run in Chromium:
 * an exam's coding page (files, an editor, the question) at the viewport's size, through a seeded sequence
 * of what a candidate does — typing bursts with pauses, scrolling the question or the code, and idle
 * stretches where nothing on screen changes. The tab captures itself with getDisplayMedia, as a candidate
 * shares their screen, so Chrome sends a frame only when something changed, and each chunk gets its own
 * MediaRecorder as the SDK's do.
 */
import { ChunkRecorder } from '../../recorder/capture.ts';

/** What `benchRecord` is asked to do; everything but the times it runs at follows from these. */
export interface SceneOptions {
  durationMs: number;
  chunkMs: number;
  mimeType: string;
  seed: number;
}

/** One chunk as the page hands it to the benchmark. */
export interface SceneChunk {
  startMs: number;
  durationMs: number;
  ext: 'mp4' | 'webm';
  base64: string;
}

declare global {
  interface Window {
    benchChunk(chunk: SceneChunk): Promise<void>;
    benchRecord(options: SceneOptions): Promise<string[]>;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

function seeded(seed: number) {
  let state = seed;
  return (low = 0, high = 1) => {
    state = (state * 16_807) % 2_147_483_647;
    return low + ((high - low) * state) / 2_147_483_647;
  };
}

const KEYWORDS = /\b(export|async|function|const|let|return|await|if|for|of|new|interface|import|from)\b/g;
const SOURCE = `import { readFile } from 'node:fs/promises';

export interface Order {
  id: string;
  items: Array<{ sku: string; quantity: number; priceCents: number }>;
  placedAt: number;
}

/** Totals per day, in cents, of the orders placed in [from, to). */
export async function dailyTotals(file: string, from: number, to: number) {
  const orders: Order[] = JSON.parse(await readFile(file, 'utf8'));
  const totals = new Map<string, number>();
  for (const order of orders) {
    if (order.placedAt < from || order.placedAt >= to) continue;
    const day = new Date(order.placedAt).toISOString().slice(0, 10);
    const sum = order.items.reduce((cents, item) => cents + item.quantity * item.priceCents, 0);
    totals.set(day, (totals.get(day) ?? 0) + sum);
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b));
}
`;
const TYPED = `
  const refunds = await loadRefunds(file.replace('orders', 'refunds'));
  for (const refund of refunds) {
    const day = new Date(refund.at).toISOString().slice(0, 10);
    totals.set(day, (totals.get(day) ?? 0) - refund.cents);
  }
  // Days without orders still appear, with 0.
  for (let t = from; t < to; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (!totals.has(day)) totals.set(day, 0);
  }
`;
const QUESTION = [
  '<h2>Question 3 of 5: daily revenue</h2>',
  '<p>The finance team exports every order of the shop as JSON. Write <code>dailyTotals</code>, which reads such an export and returns the revenue of each day between two instants, oldest day first.</p>',
  '<h3>Requirements</h3><ul><li>Amounts are integer cents; never use floating point for money.</li><li>A day is a UTC calendar day.</li><li>Refunds recorded in the matching refunds export reduce the day on which they were issued.</li><li>Days with no orders appear with a total of 0.</li></ul>',
  '<h3>Example</h3><pre>dailyTotals("orders.json", Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 4))\n→ [["2026-01-01", 12950], ["2026-01-02", 0], ["2026-01-03", 4100]]</pre>',
].join('');

/** Builds the page: a top bar, the file list, the editor with line numbers, and the question pane. */
function buildPage(random: ReturnType<typeof seeded>) {
  document.body.style.cssText = 'margin:0;font:14px system-ui,sans-serif;background:#fff;color:#1f2328';
  document.body.innerHTML = `
    <div style="height:44px;background:#24292f;color:#fff;display:flex;align-items:center;padding:0 16px">Backend engineering assessment</div>
    <div style="display:flex;height:calc(100vh - 44px)">
      <div style="width:240px;background:#f6f8fa;border-right:1px solid #d0d7de;padding:12px;line-height:26px">${['src/', '  orders.ts', '  refunds.ts', '  totals.ts', 'test/', '  totals.test.ts', 'package.json'].map((f) => `<div>${f.replace(/ /g, '&nbsp;')}</div>`).join('')}</div>
      <div id="editor" style="flex:1;overflow:hidden;font:15px/22px monospace;white-space:pre;padding:8px 0"></div>
      <div id="question" style="width:600px;overflow:hidden;border-left:1px solid #d0d7de;padding:0 20px;line-height:1.6"></div>
    </div>`;
  const editor = document.getElementById('editor') as HTMLElement;
  const question = document.getElementById('question') as HTMLElement;
  // Long enough to scroll: the question with its notes repeated, the source four times over.
  question.innerHTML = Array.from({ length: 8 }, () => QUESTION).join('<hr>');
  const lines = Array.from({ length: 4 }, () => SOURCE)
    .join('\n')
    .split('\n')
    .map((text): HTMLElement => {
      const line = document.createElement('div');
      line.dataset.text = text;
      editor.appendChild(line);
      return line;
    });
  const render = (line: HTMLElement, caret?: number) => {
    const text = line.dataset.text ?? '';
    const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const coloured = (s: string) => html(s).replace(KEYWORDS, '<span style="color:#cf222e">$1</span>');
    const number = `<span style="color:#8c959f;display:inline-block;width:48px;text-align:right;margin-right:16px">${lines.indexOf(line) + 1}</span>`;
    line.innerHTML =
      caret === undefined
        ? number + coloured(text)
        : `${number}${coloured(text.slice(0, caret))}<span style="border-left:2px solid #0969da"></span>${coloured(text.slice(caret))}`;
  };
  for (const line of lines) render(line);
  let row = 12 + Math.floor(random(0, 8));
  let typedAt = 0;
  return {
    editor,
    question,
    /** Types the next character of `TYPED` at the caret; a newline opens a new line below. */
    typeOne() {
      const char = TYPED[typedAt++ % TYPED.length] ?? ' ';
      let line = lines[row] as HTMLElement;
      if (char === '\n') {
        render(line);
        const next = document.createElement('div');
        next.dataset.text = '';
        editor.insertBefore(next, line.nextSibling);
        lines.splice(++row, 0, next);
        for (const later of lines.slice(row)) render(later);
        line = next;
      } else {
        line.dataset.text = (line.dataset.text ?? '') + char;
      }
      render(line, line.dataset.text?.length ?? 0);
    },
  };
}

/** Scrolls `pane` by `pixels` over `ms`, a step each frame. */
async function scroll(pane: HTMLElement, pixels: number, ms: number) {
  const from = pane.scrollTop;
  const started = performance.now();
  for (let t = 0; t < 1; t = (performance.now() - started) / ms) {
    pane.scrollTop = from + pixels * t;
    await nextFrame();
  }
  pane.scrollTop = from + pixels;
}

/** Acts as a candidate until `until` (a `performance.now()` time). */
async function act(page: ReturnType<typeof buildPage>, random: ReturnType<typeof seeded>, until: number) {
  const left = () => until - performance.now();
  const wait = (ms: number) => sleep(Math.min(ms, left()));
  while (left() > 0) {
    const what = random();
    if (what < 0.5) {
      // Typing: a few bursts of characters 80–250 ms apart, with pauses to think between them.
      for (let burst = Math.floor(random(1, 5)); burst > 0 && left() > 0; burst--) {
        for (let n = Math.floor(random(6, 40)); n > 0 && left() > 0; n--) {
          page.typeOne();
          await wait(random(80, 250));
        }
        await wait(random(400, 3000));
      }
    } else if (what < 0.7) {
      // Reading the question: scroll it (back to the top at its end), then read.
      const pane = page.question;
      const pixels =
        pane.scrollTop > pane.scrollHeight - 2 * pane.clientHeight ? -pane.scrollTop : random(200, 900);
      await scroll(pane, pixels, random(400, 1500));
      await wait(random(3000, 15_000));
    } else if (what < 0.8) {
      const pane = page.editor;
      const pixels =
        pane.scrollTop > pane.scrollHeight - 2 * pane.clientHeight ? -pane.scrollTop : random(100, 600);
      await scroll(pane, pixels, random(300, 1000));
      await wait(random(1000, 5000));
    } else {
      await wait(random(5000, 25_000));
    }
  }
}

async function toBase64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Records the page for `durationMs` and hands each chunk to `window.benchChunk` as it is done; resolves
 * with the recorder's error events, if any.
 */
window.benchRecord = async (o) => {
  const random = seeded(o.seed);
  const page = buildPage(random);
  // The recorder SDK's own capture constraints (`recorder/index.ts`); the current tab is the surface.
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { max: 30 } },
    audio: false,
    preferCurrentTab: true,
  } as DisplayMediaStreamOptions);
  const errors: string[] = [];
  const recorder = new ChunkRecorder({
    asset: 'screenshare',
    stream,
    mimeType: o.mimeType,
    chunkMs: o.chunkMs,
    onChunk: async (chunk) =>
      window.benchChunk({
        startMs: chunk.startMs,
        durationMs: chunk.durationMs,
        ext: chunk.ext,
        base64: await toBase64(chunk.blob),
      }),
    emit: (event, payload) => errors.push(`${event}: ${JSON.stringify(payload)}`),
  });
  recorder.start();
  await act(page, random, performance.now() + o.durationMs);
  await recorder.stop();
  for (const track of stream.getTracks()) track.stop();
  return errors;
};
