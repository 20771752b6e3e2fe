import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../s3/s3-server';
import { CREDENTIALS, REGION, s3Client, tempStateDir } from './utils/local-aws';

const BUCKET = 'fleet-auth-test';

async function s3Error(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException;
  }
  throw new Error('expected the call to fail');
}

/** `<Code>` and `<Message>` of an S3 XML error body. */
function xmlError(text: string): { code?: string; message?: string } {
  return {
    code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
  };
}

describe('local S3 authentication (SigV4, presigned URLs)', () => {
  const state = tempStateDir();
  let server: S3Server;
  let s3: S3Client;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    server = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
      now: () => Date.now() + clockOffsetMs,
    });
    await server.store.putBucket(BUCKET);
    s3 = s3Client(server.url);
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'firmware/app 1.4.0.bin',
        Body: 'firmware bytes',
      }),
    );
  });
  afterAll(async () => {
    s3.destroy();
    await server.close();
    state.remove();
  });

  it('refuses an unknown access key with InvalidAccessKeyId', async () => {
    const stranger = s3Client(server.url, {
      accessKeyId: 'AKIAUNKNOWN000000000',
      secretAccessKey: CREDENTIALS.secretAccessKey,
    });
    const error = await s3Error(stranger.send(new ListObjectsV2Command({ Bucket: BUCKET })));
    expect(error.name).toBe('InvalidAccessKeyId');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a wrong secret with SignatureDoesNotMatch', async () => {
    const forger = s3Client(server.url, {
      accessKeyId: CREDENTIALS.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    const error = await s3Error(
      forger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'firmware/app 1.4.0.bin' })),
    );
    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a request signed for another region with AuthorizationHeaderMalformed', async () => {
    const elsewhere = s3Client(server.url, CREDENTIALS, 'us-west-2');
    const error = await s3Error(elsewhere.send(new ListObjectsV2Command({ Bucket: BUCKET })));
    expect(error.name).toBe('AuthorizationHeaderMalformed');
  });

  it('refuses an unsigned request with AccessDenied', async () => {
    const response = await fetch(`${server.url}/${BUCKET}/firmware/app%201.4.0.bin`);
    expect(response.status).toBe(403);
    expect(xmlError(await response.text()).code).toBe('AccessDenied');
  });

  it('refuses a request whose clock is 20 minutes off with RequestTimeTooSkewed', async () => {
    clockOffsetMs = 20 * 60 * 1000;
    try {
      const error = await s3Error(
        s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'firmware/app 1.4.0.bin' })),
      );
      expect(error.$metadata.httpStatusCode).toBe(403);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('serves a presigned GET to plain fetch, ranges included, and refuses it once expired', async () => {
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'firmware/app 1.4.0.bin' }),
      { expiresIn: 60 },
    );
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(await whole.text()).toBe('firmware bytes');
    const part = await fetch(url, { headers: { Range: 'bytes=9-13' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('bytes');

    clockOffsetMs = 61_000;
    try {
      const expired = await fetch(url);
      expect(expired.status).toBe(403);
      expect(xmlError(await expired.text())).toEqual({
        code: 'AccessDenied',
        message: 'Request has expired',
      });
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('refuses a presigned URL whose key was changed with SignatureDoesNotMatch', async () => {
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'firmware/app 1.4.0.bin' }),
      { expiresIn: 60 },
    );
    const tampered = await fetch(url.replace('app%201.4.0.bin', 'app%201.5.0.bin'));
    expect(tampered.status).toBe(403);
    expect(xmlError(await tampered.text()).code).toBe('SignatureDoesNotMatch');
  });
});
