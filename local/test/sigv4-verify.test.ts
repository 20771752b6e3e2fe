import { createHash } from 'node:crypto';
import { DescribeThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_SHA256,
  SigV4Error,
  verifySigV4,
  type SigV4Request,
  type SigV4VerifyOptions,
} from '../sigv4';
import { CREDENTIALS, REGION } from './utils/local-aws';

const ENDPOINT = 'http://127.0.0.1:4599';
const s3Options: SigV4VerifyOptions = {
  service: 's3',
  region: REGION,
  credentials: [CREDENTIALS],
  doubleEncodePath: false,
};

/** A presigned GET from the official presigner, as the request the server would see. */
async function presigned(key: string, expiresIn = 60): Promise<SigV4Request> {
  const s3 = new S3Client({ endpoint: ENDPOINT, region: REGION, credentials: CREDENTIALS });
  const url = new URL(
    await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'fw', Key: key }), { expiresIn }),
  );
  return { method: 'GET', url: url.pathname + url.search, headers: { host: url.host } };
}

/** The request an official client signs (captured after signing, never sent). */
async function signedByClient(thingName: string): Promise<SigV4Request> {
  const iot = new IoTClient({
    endpoint: ENDPOINT,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  let captured: SigV4Request | undefined;
  iot.middlewareStack.add(
    () => async args => {
      const request = args.request as {
        method: string;
        path: string;
        query?: Record<string, string>;
        headers: Record<string, string>;
      };
      captured = {
        method: request.method,
        url: request.path,
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]),
        ),
      };
      throw new Error('captured');
    },
    { step: 'deserialize', name: 'capture' },
  );
  await iot.send(new DescribeThingCommand({ thingName })).catch(() => undefined);
  if (!captured) throw new Error('the client did not sign a request');
  return captured;
}

function refusal(fn: () => unknown): SigV4Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof SigV4Error) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('verifySigV4', () => {
  it('accepts a presigned URL from the official presigner and reports when it expires', async () => {
    const request = await presigned('releases/app 1.4.0+build.bin', 300);
    const identity = verifySigV4(request, s3Options);
    expect(identity).toMatchObject({
      accessKeyId: CREDENTIALS.accessKeyId,
      presigned: true,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(identity.expiresAtMs! - identity.signedAtMs).toBe(300_000);
  });

  it('refuses a presigned URL after expiry with the times S3 reports', async () => {
    const request = await presigned('app.bin', 60);
    const error = refusal(() =>
      verifySigV4(request, { ...s3Options, now: () => Date.now() + 61_000 }),
    );
    expect(error.code).toBe('RequestExpired');
    expect(error.details['X-Amz-Expires']).toBe('60');
    expect(error.details.ServerTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('refuses a presigned URL with a parameter added after signing, unless the service allows that parameter', async () => {
    const request = await presigned('app.bin');
    const withToken = { ...request, url: `${request.url}&X-Amz-Security-Token=abc` };
    expect(refusal(() => verifySigV4(withToken, s3Options)).code).toBe('SignatureDoesNotMatch');
    expect(
      verifySigV4(withToken, { ...s3Options, unsignedQueryParameters: ['X-Amz-Security-Token'] })
        .presigned,
    ).toBe(true);
  });

  it('checks scope and key: region, service, access key id, secret (list or lookup)', async () => {
    const request = await presigned('app.bin');
    expect(refusal(() => verifySigV4(request, { ...s3Options, region: 'us-east-1' })).code).toBe(
      'WrongRegion',
    );
    expect(refusal(() => verifySigV4(request, { ...s3Options, service: 'kms' })).code).toBe(
      'WrongService',
    );
    expect(refusal(() => verifySigV4(request, { ...s3Options, credentials: [] })).code).toBe(
      'InvalidAccessKeyId',
    );
    expect(
      refusal(() => verifySigV4(request, { ...s3Options, credentials: () => 'other secret' })).code,
    ).toBe('SignatureDoesNotMatch');
    expect(
      verifySigV4(request, {
        ...s3Options,
        credentials: id =>
          id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined,
      }).presigned,
    ).toBe(true);
  });

  it('refuses malformed and missing signatures with the field named', async () => {
    const request = await presigned('app.bin');
    const tooLong = {
      ...request,
      url: request.url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'),
    };
    const error = refusal(() => verifySigV4(tooLong, s3Options));
    expect(error.code).toBe('MalformedAuthorization');
    expect(error.message).toContain('X-Amz-Expires');
    expect(
      refusal(() =>
        verifySigV4({ method: 'GET', url: '/fw/app.bin', headers: { host: 'x' } }, s3Options),
      ).code,
    ).toBe('MissingAuthentication');
  });

  it('verifies a header-signed request of another service, whose path is encoded twice', async () => {
    const request = await signedByClient('thing: a/b c');
    expect(request.url).toContain('%20');
    const options: SigV4VerifyOptions = {
      service: 'iot',
      region: REGION,
      credentials: [CREDENTIALS],
    };
    // Services other than S3 pass the hash of the body they read (here: empty).
    const identity = verifySigV4(request, options, EMPTY_SHA256);
    expect(identity.presigned).toBe(false);
    expect(
      refusal(() => verifySigV4(request, options, createHash('sha256').update('{}').digest('hex')))
        .code,
    ).toBe('SignatureDoesNotMatch');
    expect(refusal(() => verifySigV4(request, { ...options, doubleEncodePath: false })).code).toBe(
      'SignatureDoesNotMatch',
    );
    expect(
      refusal(() => verifySigV4(request, { ...options, now: () => Date.now() + 16 * 60_000 })).code,
    ).toBe('RequestTimeTooSkewed');
  });
});
