/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload. Parts live in `uploads/<uploadId>/` (each written atomically); the
 * completed object is staged by concatenating them and committed like any PutObject, so a crash
 * at any point leaves either no object or the whole one.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html (part limits)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checksumHeaderName } from './checksum';
import { fsyncDir, type BucketState, type ObjectMeta } from './object-store';
import { readUploadBody } from './request-body';
import type { S3Context } from './s3-context';
import { newVersionId, refusePublicAcl, storageHeaders, uploadHeaders } from './s3-object-handlers';
import { S3Error, s3Errors } from './s3-error';
import { parseCompleteMultipartUpload, renderXml } from './s3-xml';

/** Every part but the last must be at least 5 MiB; part numbers run 1 to 10,000. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
/** A CompleteMultipartUpload body for 10,000 parts fits well inside this. */
const MAX_COMPLETE_BODY_BYTES = 2 * 1024 * 1024;

interface UploadRecord {
  readonly bucket: string;
  readonly key: string;
  readonly initiated: string;
  readonly contentType: string;
  readonly userMetadata: Record<string, string>;
  readonly headers: Record<string, string>;
}

interface PartRecord {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

function xml(ctx: S3Context, body: string, extra: Record<string, string> = {}): void {
  ctx.res
    .writeHead(200, {
      'Content-Type': 'application/xml',
      'Content-Length': Buffer.byteLength(body),
      ...extra,
    })
    .end(body);
}

function uploadDir(ctx: S3Context, uploadId: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(uploadId)) throw s3Errors.noSuchUpload(uploadId);
  return join(ctx.store.uploadsDir, uploadId);
}

async function loadUpload(
  ctx: S3Context,
  uploadId: string,
): Promise<{ dir: string; record: UploadRecord }> {
  const dir = uploadDir(ctx, uploadId);
  let record: UploadRecord;
  try {
    record = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as UploadRecord;
  } catch {
    throw s3Errors.noSuchUpload(uploadId);
  }
  if (record.bucket !== ctx.bucket || record.key !== ctx.key) throw s3Errors.noSuchUpload(uploadId);
  return { dir, record };
}

export async function createMultipartUpload(ctx: S3Context, bucket: BucketState): Promise<void> {
  refusePublicAcl(bucket, ctx.req);
  const uploadId = randomBytes(32).toString('base64url');
  const dir = join(ctx.store.uploadsDir, uploadId);
  await mkdir(dir);
  const record: UploadRecord = {
    bucket: ctx.bucket,
    key: ctx.key,
    initiated: new Date(ctx.now()).toISOString(),
    contentType:
      (ctx.req.headers['content-type'] as string | undefined) ?? 'application/octet-stream',
    ...uploadHeaders(ctx.req),
  };
  await ctx.store.writeJsonAtomic(join(dir, 'upload.json'), record);
  xml(
    ctx,
    renderXml('InitiateMultipartUploadResult', {
      Bucket: ctx.bucket,
      Key: ctx.key,
      UploadId: uploadId,
    }),
    storageHeaders(bucket, undefined),
  );
}

export async function uploadPart(
  ctx: S3Context,
  bucket: BucketState,
  uploadId: string,
): Promise<void> {
  const partText = ctx.query.get('partNumber') ?? '';
  const partNumber = Number(partText);
  if (!/^\d+$/.test(partText) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw s3Errors.invalidArgument(
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
      'partNumber',
      partText,
    );
  }
  const { dir } = await loadUpload(ctx, uploadId);
  const body = readUploadBody(ctx.req, ctx.identity.payloadHash);
  const staged = await ctx.store.stage(ctx.req, chunk => body.observe(chunk), body.decoders);
  let checksum: ReturnType<typeof body.verify>;
  try {
    checksum = body.verify(staged);
  } catch (error) {
    await ctx.store.discard(staged);
    throw error;
  }
  const name = `part-${String(partNumber).padStart(5, '0')}`;
  const part: PartRecord = {
    partNumber,
    etag: `"${staged.md5.toString('hex')}"`,
    size: staged.size,
  };
  await rename(staged.path, join(dir, name));
  await ctx.store.writeJsonAtomic(join(dir, `${name}.json`), part);
  await fsyncDir(dir);
  const headers: Record<string, string> = { ETag: part.etag, ...storageHeaders(bucket, undefined) };
  if (checksum) headers[checksumHeaderName(checksum.algorithm)] = checksum.value;
  ctx.res.writeHead(200, headers).end();
}

async function readBody(ctx: S3Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_COMPLETE_BODY_BYTES)
      throw new S3Error('MaxMessageLengthExceeded', 400, 'Your request was too big.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function completeMultipartUpload(
  ctx: S3Context,
  bucket: BucketState,
  uploadId: string,
): Promise<void> {
  const { dir, record } = await loadUpload(ctx, uploadId);
  let requested;
  try {
    requested = parseCompleteMultipartUpload(await readBody(ctx));
  } catch (error) {
    throw new S3Error(
      'MalformedXML',
      400,
      `The XML you provided was not well-formed or did not validate against our published schema: ${(error as Error).message}`,
    );
  }
  if (requested.length === 0)
    throw new S3Error(
      'MalformedXML',
      400,
      'The XML you provided was not well-formed: it names no Part',
    );
  const stored = new Map<number, PartRecord>();
  for (const file of await readdir(dir)) {
    if (/^part-\d{5}\.json$/.test(file)) {
      const part = JSON.parse(await readFile(join(dir, file), 'utf8')) as PartRecord;
      stored.set(part.partNumber, part);
    }
  }
  const md5s: Buffer[] = [];
  const paths: string[] = [];
  for (const [i, want] of requested.entries()) {
    if (i > 0 && want.partNumber <= requested[i - 1].partNumber) {
      throw new S3Error(
        'InvalidPartOrder',
        400,
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
        { UploadId: uploadId },
      );
    }
    const have = stored.get(want.partNumber);
    const etag = want.etag.startsWith('"') ? want.etag : `"${want.etag}"`;
    if (!have || have.etag !== etag) {
      throw new S3Error(
        'InvalidPart',
        400,
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
        {
          UploadId: uploadId,
          PartNumber: String(want.partNumber),
          ETag: want.etag,
        },
      );
    }
    if (i < requested.length - 1 && have.size < MIN_PART_BYTES) {
      throw new S3Error(
        'EntityTooSmall',
        400,
        'Your proposed upload is smaller than the minimum allowed object size.',
        {
          ProposedSize: String(have.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(want.partNumber),
          ETag: want.etag,
        },
      );
    }
    md5s.push(Buffer.from(have.etag.slice(1, -1), 'hex'));
    paths.push(join(dir, `part-${String(want.partNumber).padStart(5, '0')}`));
  }
  const staged = await ctx.store.stageConcatenation(paths);
  let meta: ObjectMeta;
  try {
    meta = await ctx.store.commit(ctx.bucket, staged, {
      key: ctx.key,
      // S3's multipart ETag: MD5 of the concatenated part MD5s, dash, part count.
      etag: `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${requested.length}"`,
      lastModified: new Date(ctx.now()).toISOString(),
      contentType: record.contentType,
      userMetadata: record.userMetadata,
      headers: record.headers,
      versionId: bucket.versioning === 'Enabled' ? newVersionId() : undefined,
    });
  } catch (error) {
    await ctx.store.discard(staged);
    throw error;
  }
  await rm(dir, { recursive: true, force: true });
  const host = ctx.req.headers.host ?? '127.0.0.1';
  xml(
    ctx,
    renderXml('CompleteMultipartUploadResult', {
      Location: `http://${host}/${ctx.bucket}/${encodeURI(ctx.key)}`,
      Bucket: ctx.bucket,
      Key: ctx.key,
      ETag: meta.etag,
    }),
    storageHeaders(bucket, meta),
  );
}

export async function abortMultipartUpload(ctx: S3Context, uploadId: string): Promise<void> {
  const { dir } = await loadUpload(ctx, uploadId);
  await rm(dir, { recursive: true, force: true });
  ctx.res.writeHead(204).end();
}
