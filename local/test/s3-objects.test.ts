import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../s3/s3-server';
import { CREDENTIALS, REGION, s3Client, tempStateDir } from './utils/local-aws';

const BUCKET = 'fleet-firmware-test';

async function s3Error(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('local S3 with @aws-sdk/client-s3', () => {
  const state = tempStateDir();
  let server: S3Server;
  let s3: S3Client;

  beforeAll(async () => {
    server = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
    });
    s3 = s3Client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(async () => {
    s3.destroy();
    await server.close();
    state.remove();
  });

  it('puts, heads and gets an object with its metadata and CRC32 checksum', async () => {
    const body = Buffer.from('{"version":"1.4.0"}');
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'releases/1.4.0/manifest.json',
        Body: body,
        ContentType: 'application/json',
        Metadata: { build: '42' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.ChecksumCRC32).toBeDefined();

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'releases/1.4.0/manifest.json' }),
    );
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({ build: '42' });
    expect(head.ETag).toBe(put.ETag);

    const get = await s3.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: 'releases/1.4.0/manifest.json',
        ChecksumMode: 'ENABLED',
      }),
    );
    expect(Buffer.from(await get.Body!.transformToByteArray())).toEqual(body);
    expect(get.ChecksumCRC32).toBe(put.ChecksumCRC32);
  });

  it('decodes a streaming upload sent as aws-chunked with a trailing checksum', async () => {
    const data = randomBytes(300_000);
    const sent: Record<string, string>[] = [];
    s3.middlewareStack.add(
      next => async args => {
        sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'deserialize', name: 'captureHeaders' },
    );
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'stream.bin',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    const get = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'stream.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(Buffer.from(await get.Body!.transformToByteArray()).equals(data)).toBe(true);
    expect(get.ChecksumCRC32).toBe(put.ChecksumCRC32);
    s3.middlewareStack.remove('captureHeaders');
    expect(sent[0]['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(sent[0]['content-encoding']).toBe('aws-chunked');
  });

  it('refuses a body whose checksum does not match with BadDigest and keeps nothing', async () => {
    const error = await s3Error(
      s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'bad.bin',
          Body: 'abc',
          ChecksumCRC32: 'AAAAAA==',
        }),
      ),
    );
    expect(error.name).toBe('BadDigest');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(
      (await s3Error(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'bad.bin' })))).$metadata
        .httpStatusCode,
    ).toBe(404);
  });

  it('serves byte ranges with 206 and refuses a range past the end with 416 InvalidRange', async () => {
    const data = randomBytes(10_000);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin', Body: data }));
    const middle = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin', Range: 'bytes=100-1099' }),
    );
    expect(middle.$metadata.httpStatusCode).toBe(206);
    expect(middle.ContentRange).toBe('bytes 100-1099/10000');
    expect(
      Buffer.from(await middle.Body!.transformToByteArray()).equals(data.subarray(100, 1100)),
    ).toBe(true);

    const suffix = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin', Range: 'bytes=-10' }),
    );
    expect(Buffer.from(await suffix.Body!.transformToByteArray()).equals(data.subarray(9990))).toBe(
      true,
    );
    const open = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin', Range: 'bytes=9000-' }),
    );
    expect(open.ContentLength).toBe(1000);
    await open.Body!.transformToByteArray();

    const error = await s3Error(
      s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin', Range: 'bytes=10000-10010' }),
      ),
    );
    expect(error.name).toBe('InvalidRange');
    expect(error.$metadata.httpStatusCode).toBe(416);
  });

  it('serves the new bytes of an overwritten object, never a cached range of the old one', async () => {
    const first = randomBytes(4096);
    const second = randomBytes(4096);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Body: first }));
    const a = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Range: 'bytes=0-1023' }),
    );
    expect(Buffer.from(await a.Body!.transformToByteArray()).equals(first.subarray(0, 1024))).toBe(
      true,
    );
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Body: second }));
    const b = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Range: 'bytes=0-1023' }),
    );
    expect(Buffer.from(await b.Body!.transformToByteArray()).equals(second.subarray(0, 1024))).toBe(
      true,
    );
  });

  it('answers If-None-Match with the current ETag with 304 Not Modified', async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'etag.txt', Body: 'same' }),
    );
    const error = await s3Error(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'etag.txt', IfNoneMatch: put.ETag })),
    );
    expect(error.$metadata.httpStatusCode).toBe(304);
    const fresh = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'etag.txt', IfNoneMatch: '"0000"' }),
    );
    expect(await fresh.Body!.transformToString()).toBe('same');
    const failed = await s3Error(
      s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'etag.txt', IfMatch: '"0000"' })),
    );
    expect(failed.$metadata.httpStatusCode).toBe(412);
  });

  it('lists with prefix, delimiter and continuation tokens', async () => {
    for (const key of ['list/a.bin', 'list/b.bin', 'list/c/d.bin', 'list/c/e.bin', 'other.bin']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }
    const grouped = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }),
    );
    expect(grouped.Contents?.map(c => c.Key)).toEqual(['list/a.bin', 'list/b.bin']);
    expect(grouped.CommonPrefixes?.map(p => p.Prefix)).toEqual(['list/c/']);

    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: 'list/',
          MaxKeys: 3,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map(c => c.Key!));
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toEqual(['list/a.bin', 'list/b.bin', 'list/c/d.bin', 'list/c/e.bin']);
  });

  it('deletes objects (204 whether or not the key existed) and then answers NoSuchKey', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone.txt', Body: 'x' }));
    expect(
      (await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone.txt' }))).$metadata
        .httpStatusCode,
    ).toBe(204);
    expect(
      (await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone.txt' }))).$metadata
        .httpStatusCode,
    ).toBe(204);
    const error = await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'gone.txt' })));
    expect(error.name).toBe('NoSuchKey');
    expect((error as S3ServiceException & { Key?: string }).$metadata.httpStatusCode).toBe(404);
  });

  it('answers NoSuchBucket for a bucket the stack does not declare', async () => {
    const error = await s3Error(
      s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' })),
    );
    expect(error.name).toBe('NoSuchBucket');
  });

  it('uploads a 12 MB object in parts and reassembles it with S3 multipart ETag', async () => {
    const data = randomBytes(12 * 1024 * 1024 + 12345);
    const partSize = 5 * 1024 * 1024;
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'big/app.bin',
        ContentType: 'application/octet-stream',
      }),
    );
    const parts: { PartNumber: number; ETag: string }[] = [];
    const md5s: Buffer[] = [];
    for (let offset = 0, n = 1; offset < data.length; offset += partSize, n++) {
      const chunk = data.subarray(offset, offset + partSize);
      md5s.push(createHash('md5').update(chunk).digest());
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'big/app.bin',
          UploadId,
          PartNumber: n,
          Body: chunk,
        }),
      );
      parts.push({ PartNumber: n, ETag: part.ETag! });
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'big/app.bin',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(done.ETag).toBe(`"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-3"`);

    const get = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big/app.bin' }));
    expect(get.ContentLength).toBe(data.length);
    expect(Buffer.from(await get.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('refuses a part list with a small middle part, and forgets an aborted upload', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'small-parts.bin' }),
    );
    const a = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'small-parts.bin',
        UploadId,
        PartNumber: 1,
        Body: 'a',
      }),
    );
    const b = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'small-parts.bin',
        UploadId,
        PartNumber: 2,
        Body: 'b',
      }),
    );
    const tooSmall = await s3Error(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'small-parts.bin',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: a.ETag },
              { PartNumber: 2, ETag: b.ETag },
            ],
          },
        }),
      ),
    );
    expect(tooSmall.name).toBe('EntityTooSmall');
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'small-parts.bin', UploadId }),
    );
    const gone = await s3Error(
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'small-parts.bin',
          UploadId,
          PartNumber: 3,
          Body: 'c',
        }),
      ),
    );
    expect(gone.name).toBe('NoSuchUpload');
  });
});
