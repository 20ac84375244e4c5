import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, fromBase64url } from '../../worker/auth/secrets.ts';
import { signToken, verifyToken } from '../../worker/auth/tokens.ts';
import { type Bindings, configFrom, tokenVerificationKeys } from '../../worker/env.ts';

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

describe('signed tokens have one spelling', () => {
  /** base64url's 64 characters in order: a character's value is its index. */
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it('refuses a signature or payload spelt another way that decodes to the same bytes', async () => {
    // The first token whose signature holds '-' or '_', where the standard alphabet spells it otherwise.
    let token = '';
    for (let exp = claims.exp; !/[-_]/.test(token.split('.')[2] ?? ''); exp++) {
      token = await signToken('ct1', { ...claims, exp }, secret);
    }
    const [kind = '', payload = '', signature = ''] = token.split('.');
    // 32 bytes in 43 characters: the last carries 4 bits and 2 unused ones, which a lenient decoder ignores.
    const last = ALPHABET.indexOf(signature.at(-1) ?? '');
    const sameBytes = `${signature.slice(0, -1)}${ALPHABET[last ^ 1]}`;
    const standard = (text: string) => text.replaceAll('-', '+').replaceAll('_', '/');
    const spellings = [
      `${kind}.${payload}.${sameBytes}`,
      `${kind}.${payload}.${signature}=`,
      `${kind}.${payload}=.${signature}`,
      `${kind}.${standard(payload)}.${standard(signature)}`,
    ];
    for (const spelling of spellings) {
      expect(spelling).not.toBe(token);
      expect((await verifyToken('ct1', spelling, secret, now)).ok).toBe(false);
    }
    expect((await verifyToken('ct1', token, secret, now)).ok).toBe(true);
  });
});

describe('canonical base64url', () => {
  it('decodes what Node encodes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        expect(base64url(bytes)).toBe(text);
        expect(Buffer.from(fromBase64url(text))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('refuses any text that is not the one spelling of some bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: 'binary-ascii' }), (text) => {
        const canonical = Buffer.from(text, 'base64url').toString('base64url');
        if (text === canonical) expect(Buffer.from(fromBase64url(text)).toString('base64url')).toBe(text);
        else expect(() => fromBase64url(text)).toThrow(TypeError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('signing key rotation', () => {
  const previous = 'p'.repeat(40);
  const env = {
    DATABASE_URL: 'https://user:pass@db.example.com',
    ADMIN_TOKEN: 'a'.repeat(32),
    INTERNAL_TOKEN: 'i'.repeat(32),
    TOKEN_SIGNING_KEY: secret,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_REGION: 'us-east-1',
    S3_BUCKET: 'ies-recordings',
    JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ies-jobs',
    PUBLIC_BASE_URL: 'https://ies.example.com',
  } as unknown as Bindings;

  it('verifies tokens of the previous key while it is set, and signs only with the current one', async () => {
    const keys = tokenVerificationKeys(configFrom({ ...env, TOKEN_SIGNING_KEY_PREVIOUS: previous }));
    expect(keys).toEqual([secret, previous]);
    const old = await signToken('pt1', claims, previous);
    const current = await signToken('pt1', claims, secret);
    expect(await verifyToken('pt1', old, keys, now)).toEqual({ ok: true, claims });
    expect(await verifyToken('pt1', current, keys, now)).toEqual({ ok: true, claims });
    expect(await verifyToken('pt1', old, [secret], now)).toEqual({ ok: false, reason: 'signature' });
    expect(await verifyToken('pt1', await signToken('pt1', claims, 'x'.repeat(40)), keys, now)).toEqual({
      ok: false,
      reason: 'signature',
    });
    // Expiry and kind still hold for a token of the previous key.
    expect(await verifyToken('pt1', old, keys, new Date(claims.exp * 1000))).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await verifyToken('ct1', old, keys, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('verifies with the current key alone once the previous one is removed; a short previous key is refused', () => {
    expect(tokenVerificationKeys(configFrom({ ...env }))).toEqual([secret]);
    expect(() => configFrom({ ...env, TOKEN_SIGNING_KEY_PREVIOUS: 'short' })).toThrow(
      /TOKEN_SIGNING_KEY_PREVIOUS must be at least 32 characters/,
    );
  });
});
