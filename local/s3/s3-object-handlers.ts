/**
 * Object operations: PutObject, GetObject (ranges, conditional requests), HeadObject and
 * DeleteObject. Each handler checks the request fully before touching the store and answers
 * with S3's headers.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseRange } from './byte-range';
import { checksumHeaderName } from './checksum';
import type { BucketState, ObjectMeta } from './object-store';
import { readUploadBody } from './request-body';
import type { S3Context } from './s3-context';
import { S3Error, s3Errors } from './s3-error';

/** Representation headers stored with the object and sent back on GET/HEAD. */
const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];
/** Canned ACLs that make an object public (blocked by BlockPublicAcls). */
const PUBLIC_ACLS = ['public-read', 'public-read-write', 'authenticated-read'];

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Version ids look like S3's: 32 URL-safe characters. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** User metadata (`x-amz-meta-*`) and stored representation headers of an upload request. */
export function uploadHeaders(req: IncomingMessage): {
  userMetadata: Record<string, string>;
  headers: Record<string, string>;
} {
  const userMetadata: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value !== 'string') continue;
    if (name.startsWith('x-amz-meta-')) userMetadata[name.slice('x-amz-meta-'.length)] = value;
    if (STORED_HEADERS.includes(name)) {
      // aws-chunked is transfer framing, not a property of the object.
      const kept =
        name === 'content-encoding'
          ? value
              .split(',')
              .map(s => s.trim())
              .filter(s => s !== 'aws-chunked')
              .join(',')
          : value;
      if (kept !== '') headers[name] = kept;
    }
  }
  return { userMetadata, headers };
}

/** Headers that say how the bucket stores objects (SSE, version id). */
export function storageHeaders(
  bucket: BucketState,
  meta: Pick<ObjectMeta, 'versionId'> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (bucket.encryption) {
    out['x-amz-server-side-encryption'] = bucket.encryption.algorithm;
    if (bucket.encryption.kmsKeyId)
      out['x-amz-server-side-encryption-aws-kms-key-id'] = bucket.encryption.kmsKeyId;
    if (bucket.encryption.bucketKeyEnabled)
      out['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
  }
  if (meta?.versionId) out['x-amz-version-id'] = meta.versionId;
  return out;
}

/**
 * ACL checks of an upload: ACLs are refused when ownership is BucketOwnerEnforced (other than
 * `bucket-owner-full-control`), public canned ACLs when the public access block says so.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
 */
export function refusePublicAcl(bucket: BucketState, req: IncomingMessage): void {
  const acl = header(req, 'x-amz-acl');
  if (
    acl &&
    acl !== 'bucket-owner-full-control' &&
    bucket.objectOwnership === 'BucketOwnerEnforced'
  ) {
    throw new S3Error('AccessControlListNotSupported', 400, 'The bucket does not allow ACLs');
  }
  if (acl && PUBLIC_ACLS.includes(acl) && bucket.publicAccessBlock?.blockPublicAcls) {
    throw s3Errors.accessDenied(
      `Access Denied: the bucket's public access block refuses the canned ACL ${acl}`,
    );
  }
}

export async function putObject(ctx: S3Context, bucket: BucketState): Promise<void> {
  if (header(ctx.req, 'x-amz-copy-source') !== undefined)
    throw s3Errors.notImplemented('CopyObject (x-amz-copy-source)');
  refusePublicAcl(bucket, ctx.req);
  const body = readUploadBody(ctx.req, ctx.identity.payloadHash);
  const staged = await ctx.store.stage(ctx.req, chunk => body.observe(chunk), body.decoders);
  let meta: ObjectMeta;
  try {
    const checksum = body.verify(staged);
    meta = await ctx.store.commit(ctx.bucket, staged, {
      key: ctx.key,
      etag: `"${staged.md5.toString('hex')}"`,
      lastModified: new Date(ctx.now()).toISOString(),
      contentType: header(ctx.req, 'content-type') ?? 'application/octet-stream',
      ...uploadHeaders(ctx.req),
      checksum,
      versionId: bucket.versioning === 'Enabled' ? newVersionId() : undefined,
    });
  } catch (error) {
    await ctx.store.discard(staged);
    throw error;
  }
  const headers: Record<string, string> = { ETag: meta.etag, ...storageHeaders(bucket, meta) };
  if (meta.checksum) headers[checksumHeaderName(meta.checksum.algorithm)] = meta.checksum.value;
  ctx.res.writeHead(200, headers).end();
}

/** Evaluate If-Match/If-None-Match/If-(Un)Modified-Since in RFC 9110 order: 412, 304, or go on. */
function preconditionStatus(req: IncomingMessage, meta: ObjectMeta): 304 | 412 | undefined {
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  const modified = Date.parse(meta.lastModified);
  const etags = (v: string) => v.split(',').map(s => s.trim());
  if (
    ifMatch !== undefined &&
    !etags(ifMatch).some(e => e === '*' || e === meta.etag || `"${e}"` === meta.etag)
  )
    return 412;
  const ifUnmodified = header(req, 'if-unmodified-since');
  if (
    ifMatch === undefined &&
    ifUnmodified !== undefined &&
    modified > Date.parse(ifUnmodified) + 999
  )
    return 412;
  if (ifNoneMatch !== undefined) {
    if (etags(ifNoneMatch).some(e => e === '*' || e === meta.etag || `"${e}"` === meta.etag))
      return 304;
  } else {
    const ifModified = header(req, 'if-modified-since');
    if (ifModified !== undefined && modified <= Date.parse(ifModified) + 999) return 304;
  }
  return undefined;
}

function objectHeaders(bucket: BucketState, meta: ObjectMeta): Record<string, string> {
  const out: Record<string, string> = {
    ETag: meta.etag,
    'Last-Modified': new Date(meta.lastModified).toUTCString(),
    'Content-Type': meta.contentType,
    'Accept-Ranges': 'bytes',
    ...meta.headers,
    ...storageHeaders(bucket, meta),
  };
  for (const [name, value] of Object.entries(meta.userMetadata)) out[`x-amz-meta-${name}`] = value;
  return out;
}

function existing(ctx: S3Context): ObjectMeta {
  const meta = ctx.store.object(ctx.bucket, ctx.key);
  if (!meta) throw s3Errors.noSuchKey(ctx.key);
  const versionId = ctx.query.get('versionId');
  // Only the current version is kept locally (see README); older ids are answered as S3 does
  // for a version that does not exist.
  if (
    versionId !== null &&
    versionId !== meta.versionId &&
    !(versionId === 'null' && meta.versionId === undefined)
  ) {
    throw new S3Error('NoSuchVersion', 404, 'The specified version does not exist.', {
      Key: ctx.key,
      VersionId: versionId,
    });
  }
  return meta;
}

/** GET and HEAD share everything but the body. */
export async function getObject(
  ctx: S3Context,
  bucket: BucketState,
  withBody: boolean,
): Promise<void> {
  const meta = existing(ctx);
  const headers = objectHeaders(bucket, meta);
  const precondition = preconditionStatus(ctx.req, meta);
  if (precondition === 412)
    throw new S3Error(
      'PreconditionFailed',
      412,
      'At least one of the pre-conditions you specified did not hold',
      { Condition: 'If-Match' },
    );
  if (precondition === 304) {
    ctx.res.writeHead(304, { ETag: meta.etag, 'Last-Modified': headers['Last-Modified'] }).end();
    return;
  }
  const range = parseRange(header(ctx.req, 'range'), meta.size);
  if (range.kind === 'unsatisfiable') {
    throw new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', {
      RangeRequested: header(ctx.req, 'range') ?? '',
      ActualObjectSize: String(meta.size),
    });
  }
  let status = 200;
  let start = 0;
  let end = meta.size - 1;
  if (range.kind === 'range') {
    status = 206;
    ({ start, end } = range.range);
    headers['Content-Range'] = `bytes ${start}-${end}/${meta.size}`;
  } else if (meta.checksum && header(ctx.req, 'x-amz-checksum-mode') === 'ENABLED') {
    // A whole-object checksum describes the whole object only, so ranged answers omit it.
    headers[checksumHeaderName(meta.checksum.algorithm)] = meta.checksum.value;
  }
  headers['Content-Length'] = String(end - start + 1);
  ctx.res.writeHead(status, headers);
  if (!withBody || meta.size === 0) {
    ctx.res.end();
    return;
  }
  await sendFile(ctx.store, ctx.store.dataPath(meta), start, end, ctx.res);
}

/**
 * Ranges up to this size are read in one `read(2)` into one buffer and sent with `res.end`
 * (devices download in ranges of tens to hundreds of KiB); larger bodies stream, so memory per
 * request stays bounded either way. Bodies the open-file cache shares (up to 4 MiB: a whole
 * firmware image) are one buffer for every request: streaming a 1 MiB image to 2,000 devices at
 * once held a 256 KiB read buffer per response (~1 GB of the local cloud's RSS in the fleet bench).
 */
const SINGLE_READ_MAX_BYTES = 1024 * 1024;

async function sendFile(
  store: S3Context['store'],
  path: string,
  start: number,
  end: number,
  res: ServerResponse,
): Promise<void> {
  const length = end - start + 1;
  if (length <= SINGLE_READ_MAX_BYTES || store.openFiles.shares(length)) {
    res.end(await store.openFiles.read(path, start, length));
    return;
  }
  try {
    await pipeline(createReadStream(path, { start, end, highWaterMark: 256 * 1024 }), res);
  } catch (error) {
    // The client went away mid-body: nothing to answer. Anything else is a server fault.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}

export async function deleteObject(ctx: S3Context, bucket: BucketState): Promise<void> {
  // S3 answers 204 whether or not the key existed.
  await ctx.store.delete(ctx.bucket, ctx.key);
  const headers: Record<string, string> = {};
  if (bucket.versioning === 'Enabled') {
    headers['x-amz-delete-marker'] = 'true';
    headers['x-amz-version-id'] = newVersionId();
  }
  ctx.res.writeHead(204, headers).end();
}
