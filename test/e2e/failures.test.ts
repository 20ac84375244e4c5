/**
 * Failures a tenant must hear of at once: a session whose processing can never succeed is `failed` with a
 * code within seconds of `process`, not after the jobs queue has spent its retries.
 */
import { describe, expect, it } from 'vitest';
import { newSession, newTenant } from '../api/support.ts';

describe('a recording that cannot be processed', () => {
  it('a session processed with nothing recorded is failed as no_recording within seconds', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    expect((await tenant.as('POST', '/session/process', { session_id: sessionId })).status).toBe(200);
    // Within a minute: the jobs queue redelivers after 120 s, so this can only be the first attempt.
    await expect
      .poll(async () => (await tenant.as('GET', `/session?session_id=${sessionId}`)).body, {
        timeout: 60_000,
        interval: 250,
      })
      .toMatchObject({
        status: 'failed',
        playback: null,
        failure: { code: 'no_recording', reason: expect.stringMatching(/nothing was uploaded/) },
      });
  });
});
