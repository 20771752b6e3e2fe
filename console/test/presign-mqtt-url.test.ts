import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { presignMqttWebSocketUrl } from '../server/presign-mqtt-url';

// The presigner against the AWS SDK's own SigV4 signer, and its handling of AWS IoT's
// session-token quirk. (Its URLs are accepted by the local cloud: local/test/mqtt-websocket.test.ts.)
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const now = new Date('2025-03-04T05:06:07.890Z');

/** The same URL presigned by @smithy/signature-v4 (no session token: there the two agree). */
async function sdkPresigned(
  url: string,
  region: string,
  expiresIn: number,
): Promise<URLSearchParams> {
  const u = new URL(url);
  const signer = new SignatureV4({
    service: 'iotdevicegateway',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const port = u.port === '' ? undefined : Number(u.port);
  const request = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: u.hostname,
      port,
      path: u.pathname,
      query: {},
      headers: { host: u.host },
    },
    { expiresIn, signingDate: now },
  );
  return new URLSearchParams(request.query as Record<string, string>);
}

describe('presignMqttWebSocketUrl', () => {
  it.each([
    ['an AWS endpoint', 'wss://a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com/mqtt', 'eu-west-1'],
    ['the local cloud (host with port)', 'wss://localhost:8443/mqtt', 'us-east-1'],
  ])('signs like the AWS SDK signer for %s', async (_name, url, region) => {
    const ours = new URL(
      presignMqttWebSocketUrl({ url, region, credentials, expiresInSeconds: 120, now }),
    );
    const sdk = await sdkPresigned(url, region, 120);
    expect(ours.origin + ours.pathname).toBe(url);
    for (const name of [
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
    ]) {
      expect(ours.searchParams.get(name), name).toBe(sdk.get(name));
    }
    expect(ours.searchParams.get('X-Amz-Credential')).toBe(
      `AKIAIOSFODNN7EXAMPLE/20250304/${region}/iotdevicegateway/aws4_request`,
    );
    expect(ours.searchParams.get('X-Amz-Date')).toBe('20250304T050607Z');
  });

  it('appends X-Amz-Security-Token after the signature, leaving the signature what it is without a token', () => {
    const base = { url: 'wss://localhost:8443/mqtt', region: 'eu-west-1', now };
    const withoutToken = presignMqttWebSocketUrl({ ...base, credentials });
    const withToken = presignMqttWebSocketUrl({
      ...base,
      credentials: { ...credentials, sessionToken: 'IQoJb3JpZ2luX2VjE/+=' },
    });
    expect(withToken).toBe(`${withoutToken}&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2F%2B%3D`);
  });

  it('defaults to 300 seconds and to the current time', () => {
    const before = Date.now();
    const url = new URL(
      presignMqttWebSocketUrl({
        url: 'wss://localhost:8443/mqtt',
        region: 'eu-west-1',
        credentials,
      }),
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    const date = url.searchParams.get('X-Amz-Date')!;
    const signedAt = Date.UTC(
      +date.slice(0, 4),
      +date.slice(4, 6) - 1,
      +date.slice(6, 8),
      +date.slice(9, 11),
      +date.slice(11, 13),
      +date.slice(13, 15),
    );
    expect(Math.abs(signedAt - before)).toBeLessThan(5000);
  });

  it('keeps ws:// for the local loopback listener', () => {
    expect(
      presignMqttWebSocketUrl({
        url: 'ws://127.0.0.1:8443/mqtt',
        region: 'eu-west-1',
        credentials,
        now,
      }),
    ).toMatch(/^ws:\/\/127\.0\.0\.1:8443\/mqtt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
  });

  it.each([
    [{ url: 'https://localhost/mqtt' }, /url must use wss:\/\//],
    [
      { url: 'localhost:8443/mqtt' },
      /url must be an absolute ws:\/\/ or wss:\/\/ URL, got "localhost:8443\/mqtt"|url must use wss/,
    ],
    [{ url: 'wss://localhost/mqtt?x=1' }, /url must carry no query string/],
    [{ region: 'Europe' }, /region must look like us-east-1, got "Europe"/],
    [{ expiresInSeconds: 0 }, /expiresInSeconds must be an integer from 1 to 604800, got 0/],
    [
      { expiresInSeconds: 604_801 },
      /expiresInSeconds must be an integer from 1 to 604800, got 604801/,
    ],
    [
      { credentials: { accessKeyId: '', secretAccessKey: 'x' } },
      /credentials need an accessKeyId and a secretAccessKey/,
    ],
    [{ now: new Date('nope') }, /now is an invalid Date/],
  ])('refuses bad input %j with an error naming it', (override, message) => {
    expect(() =>
      presignMqttWebSocketUrl({
        url: 'wss://localhost/mqtt',
        region: 'eu-west-1',
        credentials,
        ...override,
      }),
    ).toThrow(message);
  });
});
