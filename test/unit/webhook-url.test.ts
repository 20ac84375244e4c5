import { describe, expect, it } from 'vitest';
import { isInternalHost, WebhookUrl } from '../../contracts/webhooks.ts';

describe('webhook URLs', () => {
  it('take https to a public host', () => {
    for (const url of [
      'https://hooks.example.com/ies',
      'https://93.184.216.34/x',
      'https://[2606:4700::1111]/x',
    ]) {
      expect(WebhookUrl.safeParse(url).success, url).toBe(true);
    }
  });

  it("refuse the service's own side of the network, whatever the scheme", () => {
    for (const url of [
      'https://127.0.0.1/x',
      'https://10.0.0.5/x',
      'https://172.16.3.4/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[::1]/x',
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://localhost/x',
      'https://db.internal/x',
      'https://printer.local/x',
      'http://hooks.example.com/ies',
      'ftp://hooks.example.com/ies',
    ]) {
      expect(WebhookUrl.safeParse(url).success, url).toBe(false);
    }
  });

  it('tell internal hosts from public ones at the range edges', () => {
    expect(isInternalHost('172.15.255.255')).toBe(false);
    expect(isInternalHost('172.32.0.1')).toBe(false);
    expect(isInternalHost('100.128.0.1')).toBe(false);
    expect(isInternalHost('172.31.0.1')).toBe(true);
  });

  it('take plain http to loopback in the schema, left to the service to allow on a development stack', () => {
    expect(WebhookUrl.safeParse('http://127.0.0.1:9999/hook').success).toBe(true);
  });
});
