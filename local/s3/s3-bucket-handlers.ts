/**
 * Bucket operations: ListObjectsV2, HeadBucket, CreateBucket, ListBuckets.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
import type { BucketState } from './object-store';
import type { S3Context } from './s3-context';
import { S3Error, s3Errors } from './s3-error';
import { renderXml, type XmlNode } from './s3-xml';

/** S3 returns at most 1,000 keys per page. */
const MAX_KEYS_LIMIT = 1000;

function xml(ctx: S3Context, status: number, body: string): void {
  ctx.res
    .writeHead(status, {
      'Content-Type': 'application/xml',
      'Content-Length': Buffer.byteLength(body),
    })
    .end(body);
}

export function listObjectsV2(ctx: S3Context, _bucket: BucketState): void {
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeysText = q.get('max-keys') ?? String(MAX_KEYS_LIMIT);
  if (!/^\d+$/.test(maxKeysText))
    throw s3Errors.invalidArgument(
      'Provided max-keys not an integer or within integer range',
      'max-keys',
      maxKeysText,
    );
  const maxKeys = Math.min(Number(maxKeysText), MAX_KEYS_LIMIT);
  const token = q.get('continuation-token');
  let after = q.get('start-after') ?? '';
  if (token !== null) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!decoded.startsWith('k:'))
      throw s3Errors.invalidArgument(
        'The continuation token provided is incorrect',
        'continuation-token',
        token,
      );
    after = decoded.slice(2);
  }
  const urlEncode = q.get('encoding-type') === 'url';
  const enc = (s: string) => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);

  const contents: XmlNode[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let lastReturned = '';
  const afterBytes = Buffer.from(after);
  for (const key of ctx.store.sortedKeys(ctx.bucket)) {
    if (!key.startsWith(prefix) || Buffer.compare(Buffer.from(key), afterBytes) <= 0) continue;
    let commonPrefix: string | undefined;
    if (delimiter !== '') {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) commonPrefix = key.slice(0, at + delimiter.length);
    }
    if (commonPrefix !== undefined && prefixes.includes(commonPrefix)) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      prefixes.push(commonPrefix);
      // Skip past every key under this prefix on the next page, too.
      lastReturned = `${commonPrefix}\u{10ffff}`;
      continue;
    }
    const meta = ctx.store.object(ctx.bucket, key);
    if (!meta) continue;
    lastReturned = key;
    contents.push({
      Key: enc(key),
      LastModified: meta.lastModified,
      ETag: meta.etag,
      ChecksumAlgorithm: meta.checksum?.algorithm,
      Size: meta.size,
      StorageClass: 'STANDARD',
    });
  }
  const body = renderXml('ListBucketResult', {
    Name: ctx.bucket,
    Prefix: enc(prefix),
    Delimiter: delimiter === '' ? undefined : enc(delimiter),
    MaxKeys: maxKeys,
    KeyCount: contents.length + prefixes.length,
    IsTruncated: truncated,
    EncodingType: urlEncode ? 'url' : undefined,
    ContinuationToken: token ?? undefined,
    NextContinuationToken: truncated
      ? Buffer.from(`k:${lastReturned}`).toString('base64url')
      : undefined,
    StartAfter: q.get('start-after') ?? undefined,
    Contents: contents,
    CommonPrefixes: prefixes.map(p => ({ Prefix: enc(p) })),
  });
  xml(ctx, 200, body);
}

export function headBucket(ctx: S3Context, _bucket: BucketState): void {
  ctx.res.writeHead(200, { 'x-amz-bucket-region': ctx.region }).end();
}

/**
 * CreateBucket for tools that make their own (the stack's bucket comes from Terraform).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export async function createBucket(ctx: S3Context): Promise<void> {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(ctx.bucket) || ctx.bucket.includes('..')) {
    throw new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', {
      BucketName: ctx.bucket,
    });
  }
  if (ctx.store.bucket(ctx.bucket)) {
    throw new S3Error(
      'BucketAlreadyOwnedByYou',
      409,
      'Your previous request to create the named bucket succeeded and you already own it.',
      {
        BucketName: ctx.bucket,
      },
    );
  }
  await ctx.store.putBucket(ctx.bucket);
  ctx.res.writeHead(200, { Location: `/${ctx.bucket}` }).end();
}

export function listBuckets(ctx: S3Context): void {
  const body = renderXml('ListAllMyBucketsResult', {
    Owner: { ID: 'local', DisplayName: 'local' },
    Buckets: {
      Bucket: ctx.store
        .bucketNames()
        .map(name => ({ Name: name, CreationDate: ctx.store.bucket(name)?.createdAt })),
    },
  });
  xml(ctx, 200, body);
}
