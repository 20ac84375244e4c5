/** Worker entry: the API and the per-session Durable Object, nothing else. */
import app from './app.ts';

export { SessionClock } from './clock/session-clock.ts';
export default app;
