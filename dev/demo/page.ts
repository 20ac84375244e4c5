/**
 * The demo tenant's candidate page: loads the recorder SDK from the Worker, shows what it reports, and
 * ends the attempt through the demo server (which holds the tenant key). The recorder is
 * `window.iesRecorder` and every event it raised is in `window.iesEvents`, for tests and curious people.
 */

export interface CandidatePageOptions {
  sdkUrl: string;
  apiBase: string;
  token: string;
  sessionId: string;
  uniqueIdentifier: string;
  autostart: boolean;
  chunkMs: number;
  screenshotEveryMs: number;
}

/** JSON safe inside a <script> element: `<` never appears, so `</script>` cannot end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The page as HTML. */
export function candidatePage(o: CandidatePageOptions): string {
  const config = {
    apiBase: o.apiBase,
    token: o.token,
    assets: ['screenshare', 'webcam', 'screenshots'],
    chunkMs: o.chunkMs,
    screenshotEveryMs: o.screenshotEveryMs,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Demo tenant — candidate attempt</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; color: #1f2328; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .muted { color: #656d76; }
  dl { display: grid; grid-template-columns: 11rem 1fr; gap: .3rem 1rem; margin: 1.2rem 0; }
  dt { color: #656d76; } dd { margin: 0; font-variant-numeric: tabular-nums; }
  #error.failing { color: #b42318; }
  button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #8c959f; background: #f6f8fa; }
  button:disabled { opacity: .45; }
  button.end { background: #b42318; color: white; border-color: #b42318; }
  ol { font: 13px/1.5 ui-monospace, monospace; max-height: 14rem; overflow: auto; background: #f6f8fa; padding: .6rem 2.2rem; }
</style>
</head>
<body>
<h1>Coding attempt</h1>
<p class="muted">Attempt <code>${escapeHtml(o.uniqueIdentifier)}</code> · session <code>${escapeHtml(o.sessionId)}</code></p>
<p>Your screen and webcam are recorded while you work; recordings upload in the background.</p>
<dl>
  <dt>Recorder</dt><dd id="state">idle</dd>
  <dt>Chunks waiting</dt><dd id="pending">0</dd>
  <dt>Uploaded</dt><dd id="bytes">0 kB</dd>
  <dt>Clock offset</dt><dd id="clock">—</dd>
  <dt>Last error</dt><dd id="error">none</dd>
</dl>
<p><button id="start">Start recording</button> <button id="end" class="end">End attempt</button></p>
<p id="summary" class="muted"></p>
<h2>Integrity events</h2>
<ol id="events"><li class="muted">none yet</li></ol>
<script type="module">
import { createRecorder, RECORDER_EVENTS } from ${scriptJson(o.sdkUrl)};
const config = ${scriptJson(config)};
const sessionId = ${scriptJson(o.sessionId)};
const recorder = createRecorder(config);
window.iesRecorder = recorder;
window.iesEvents = [];
const show = (id, text) => { document.getElementById(id).textContent = text; };
const quiet = new Set(['queue', 'chunk', 'uploaded', 'clock', 'state']);
for (const event of RECORDER_EVENTS) {
  recorder.on(event, (payload) => {
    window.iesEvents.push({ event, payload, at: Date.now() });
    if (quiet.has(event)) return;
    document.querySelector('#events .muted')?.remove();
    const item = document.createElement('li');
    item.textContent = new Date().toLocaleTimeString() + ' ' + event + ' ' + JSON.stringify(payload);
    document.getElementById('events').prepend(item);
  });
}
recorder.on('state', ({ state }) => {
  show('state', state);
  document.getElementById('start').disabled = state !== 'idle';
  document.getElementById('end').disabled = state !== 'recording';
});
recorder.on('queue', ({ pending, bytesUploaded }) => {
  show('pending', String(pending));
  show('bytes', (bytesUploaded / 1000).toFixed(0) + ' kB');
});
recorder.on('clock', ({ offsetMs, rttMs }) => show('clock', offsetMs.toFixed(1) + ' ms (round trip ' + rttMs.toFixed(1) + ' ms)'));
recorder.on('error', ({ message }) => {
  show('error', message);
  document.getElementById('error').className = 'failing';
});
const start = () => recorder.start().catch((error) => show('error', String(error)));
document.getElementById('start').onclick = start;
document.getElementById('end').onclick = async () => {
  show('summary', 'Uploading what is left…');
  const summary = await recorder.stop();
  const reply = await fetch('/candidate/end', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ session_id: sessionId }),
  });
  window.iesEnded = { summary, status: reply.status };
  show('summary', 'Attempt ended (' + reply.status + '): ' + JSON.stringify(summary) + ' ');
  // What a recruiter opens next: the demo tenant's review link, which waits for processing.
  const review = document.createElement('a');
  review.href = '/review?session_id=' + encodeURIComponent(sessionId);
  review.textContent = 'Watch the recording';
  review.id = 'review';
  document.getElementById('summary').append(review);
};
if (${scriptJson(o.autostart)}) start();
</script>
</body>
</html>
`;
}
