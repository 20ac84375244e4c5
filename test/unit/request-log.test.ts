import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requestLog } from '../../worker/http/request-log.ts';
import type { AppEnv } from '../../worker/http/router.ts';

afterEach(() => vi.restoreAllMocks());

describe('the request log', () => {
  it('writes one JSON line per request: id, tenant, route pattern (never the path), status, duration', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
    const app = new Hono<AppEnv>();
    app.use('*', async (c, next) => {
      c.set('requestId', 'r-1');
      await next();
    });
    app.use('*', requestLog);
    app.get('/playback/:token/:path{.+}', (c) => {
      c.set('principal', { kind: 'api_key', tenantUuid: 't-1', apiKeyUuid: 'k-1', scopes: [] });
      return c.text('segment', 206);
    });
    await app.request('/playback/secret-token/screenshare/processed/a.ts');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        level: 'info',
        msg: 'request',
        requestId: 'r-1',
        tenantId: 't-1',
        method: 'GET',
        route: '/playback/:token/:path{.+}',
        status: 206,
        durationMs: expect.any(Number),
      },
    ]);
    expect(lines.join('')).not.toContain('secret-token');
  });
});
