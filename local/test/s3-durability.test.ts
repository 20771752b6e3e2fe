import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { startS3Server } from '../s3/s3-server';
import { CREDENTIALS, REGION, s3Client, tempStateDir } from './utils/local-aws';

const BUCKET = 'fleet-durability';
const CHILD = fileURLToPath(new URL('./utils/s3-server-child.ts', import.meta.url));

describe('local S3 durability', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps buckets and objects across a restart', async () => {
    const state = tempStateDir();
    cleanups.push(state.remove);
    const data = randomBytes(200_000);
    const first = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
    });
    await first.store.putBucket(BUCKET, { versioning: 'Enabled' });
    const s3a = s3Client(first.url);
    const put = await s3a.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.bin', Body: data }),
    );
    s3a.destroy();
    await first.close();

    const second = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
    });
    cleanups.push(() => second.close());
    const s3b = s3Client(second.url);
    cleanups.push(() => s3b.destroy());
    const get = await s3b.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.bin' }));
    expect(get.ETag).toBe(put.ETag);
    expect(get.VersionId).toBe(put.VersionId);
    expect(Buffer.from(await get.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('keeps metadata, index and data in agreement when one key is written by many clients at once', async () => {
    const state = tempStateDir();
    cleanups.push(state.remove);
    const first = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
    });
    await first.store.putBucket(BUCKET);
    const s3a = s3Client(first.url);
    const bodies = Array.from({ length: 12 }, () => randomBytes(50_000));
    await Promise.all(
      bodies.map(Body =>
        s3a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'contended.bin', Body })),
      ),
    );
    const served = Buffer.from(
      await (
        await s3a.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'contended.bin' }))
      ).Body!.transformToByteArray(),
    );
    expect(bodies.some(b => b.equals(served))).toBe(true);
    s3a.destroy();
    await first.close();

    const second = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
    });
    cleanups.push(() => second.close());
    const s3b = s3Client(second.url);
    cleanups.push(() => s3b.destroy());
    const after = Buffer.from(
      await (
        await s3b.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'contended.bin' }))
      ).Body!.transformToByteArray(),
    );
    expect(after.equals(served)).toBe(true);
    expect(readdirSync(join(state.dir, 's3', 'data'))).toHaveLength(1);
  });

  it('never shows a half-written object after the server is killed with SIGKILL mid-upload', async () => {
    const state = tempStateDir();
    cleanups.push(state.remove);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CHILD,
        state.dir,
        REGION,
        CREDENTIALS.accessKeyId,
        CREDENTIALS.secretAccessKey,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    cleanups.push(() => void child.kill('SIGKILL'));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]) as { url: string }).url);
      });
      child.once('exit', code => reject(new Error(`S3 child exited early with ${code}`)));
    });
    const exited = new Promise(resolve => child.once('exit', resolve));
    const s3 = s3Client(url);
    cleanups.push(() => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const old = randomBytes(1000);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'app.bin', Body: old }));

    // Overwrite app.bin with a 32 MB streaming body; kill the server once 8 MB are on disk.
    const body = new PassThrough();
    const upload = s3
      .send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'app.bin',
          Body: body,
          ContentLength: 32 * 1024 * 1024,
        }),
      )
      .catch((e: Error) => e);
    // A second upload, done while the first is still streaming, must survive the crash.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'new.bin', Body: randomBytes(10) }));
    const chunk = randomBytes(1024 * 1024);
    for (let i = 0; i < 8; i++) body.write(chunk);
    const tmp = join(state.dir, 's3', 'tmp');
    let stagedBytes = 0;
    for (let i = 0; i < 200 && stagedBytes < 1024 * 1024; i++) {
      stagedBytes = readdirSync(tmp)
        .filter(f => !f.endsWith('.json'))
        .reduce((sum, f) => sum + statSync(join(tmp, f)).size, 0);
      await new Promise(r => setTimeout(r, 25));
    }
    // The kill must land while the new body is partly on disk.
    expect(stagedBytes).toBeGreaterThanOrEqual(1024 * 1024);
    child.kill('SIGKILL');
    await exited;
    expect(await upload).toBeInstanceOf(Error);

    const restarted = await startS3Server({
      stateDir: state.dir,
      region: REGION,
      credentials: [CREDENTIALS],
    });
    cleanups.push(() => restarted.close());
    const s3b = s3Client(restarted.url);
    cleanups.push(() => s3b.destroy());
    const get = await s3b.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'app.bin' }));
    expect(Buffer.from(await get.Body!.transformToByteArray()).equals(old)).toBe(true);
    const list = await s3b.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(list.Contents?.map(c => [c.Key, c.Size])).toEqual([
      ['app.bin', 1000],
      ['new.bin', 10],
    ]);
    // Staging leftovers are swept on start; only committed data files remain.
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(join(state.dir, 's3', 'data'))).toHaveLength(2);
    const missing = await s3b
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'half.bin' }))
      .catch((e: S3ServiceException) => e);
    expect((missing as S3ServiceException).$metadata.httpStatusCode).toBe(404);
  });
});
