import { describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../../worker/auth/tokens.ts';

const secret = 'k'.repeat(40);
const claims = {
  t: '0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d',
  s: '9f8e7d6c-5b4a-4321-8fed-cba987654321',
  sc: ['upload'],
  exp: 2_000_000_000,
};
const now = new Date(1_900_000_000_000);

describe('signed tokens', () => {
  it('round-trips claims', async () => {
    const token = await signToken('ct1', claims, secret);
    expect(token.startsWith('ct1.')).toBe(true);
    expect(await verifyToken('ct1', token, secret, now)).toEqual({ ok: true, claims });
  });

  it('refuses another kind, another key, a changed payload, expiry and junk', async () => {
    const token = await signToken('ct1', claims, secret);
    expect(await verifyToken('pt1', token, secret, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verifyToken('ct1', token, 'x'.repeat(40), now)).toEqual({ ok: false, reason: 'signature' });
    const [kind, , signature] = token.split('.');
    const changed = Buffer.from(JSON.stringify({ ...claims, s: claims.t })).toString('base64url');
    expect(await verifyToken('ct1', `${kind}.${changed}.${signature}`, secret, now)).toEqual({
      ok: false,
      reason: 'signature',
    });
    expect(await verifyToken('ct1', token, secret, new Date(claims.exp * 1000))).toEqual({
      ok: false,
      reason: 'expired',
    });
    for (const junk of [
      '',
      'ct1',
      'ct1..',
      'ct1.!!!.!!!',
      `ct1.${Buffer.from('{"t":1}').toString('base64url')}.AA`,
    ]) {
      expect((await verifyToken('ct1', junk, secret, now)).ok).toBe(false);
    }
  });
});
