/** What a playback token in a request's path grants, once it verifies and its tenant is still active. */
import type { Context } from 'hono';
import { verifyToken } from '../auth/tokens.ts';
import { tokenVerificationKeys } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';
import { assertTenantActive } from '../routes/session-access.ts';

/** The claims of the `:token` path parameter; 401 when it does not verify or has expired. */
export async function playbackClaims(c: Context<AppEnv>) {
  const keys = tokenVerificationKeys(c.get('config'));
  const check = await verifyToken('pt1', c.req.param('token') ?? '', keys, new Date());
  if (!check.ok)
    throw new ApiError(
      'UNAUTHORIZED',
      `Playback token ${check.reason === 'expired' ? 'expired' : 'invalid'}`,
    );
  await assertTenantActive(c, check.claims.t, check.claims.s);
  return check.claims;
}
