/** Attacks on the running stack, each once seen working: what they tried, and that it no longer works. */
import { describe, expect, it } from 'vitest';
import { signToken } from '../../worker/auth/tokens.ts';
import { call, candidateToken, newSession, newTenant, stack } from './support.ts';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

describe('the upload gate cache', () => {
  it("a token naming another tenant's session does not lock that session's own candidate out", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { sessionId } = await newSession(a);
    // A correctly signed token of tenant B's, naming tenant A's session: B's side minted it for an id it saw.
    const foreign = await signToken(
      'ct1',
      { t: b.uuid, s: sessionId, sc: ['upload', 'clock', 'chunks'], exp: inAMinute() },
      stack.tokenSigningKey,
    );
    const policy = '/session/presigned-policy?asset=screenshare';
    expect((await call('GET', policy, { headers: bearer(foreign) })).status).toBe(404);
    const own = await candidateToken(a, sessionId);
    expect((await call('GET', policy, { headers: bearer(own) })).status).toBe(200);
  });
});
