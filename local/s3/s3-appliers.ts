/**
 * Terraform appliers for the S3 resource types the stack declares: the bucket and its settings
 * (versioning, default encryption, public access block, policy) and the objects it uploads (job
 * document templates). Each returns the attributes the AWS provider exports, so references such
 * as `${aws_s3_bucket.firmware.id}` resolve.
 *
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ApplyContext, ResourceAppliers } from '../terraform/resource-applier';
import { requireString, singleBlock } from '../terraform/resource-applier';
import { unevaluatedStatements } from './bucket-policy';
import type { BucketState, ObjectStore } from './object-store';
import { newVersionId } from './s3-object-handlers';

/** What an applier needs from outside: the store, and where to report what it cannot enforce. */
export interface S3ApplierOptions {
  readonly store: ObjectStore;
  /** Called once per policy statement the local S3 does not evaluate. @defaultValue ignore */
  readonly warn?: (message: string) => void;
}

function bucketOf(store: ObjectStore, ctx: ApplyContext): BucketState {
  const name = requireString(ctx, 'bucket');
  const bucket = store.bucket(name);
  if (!bucket) throw new Error(`${ctx.address}: bucket "${name}" is not declared by an aws_s3_bucket in the stack`);
  return bucket;
}

function bool(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Bucket name: `bucket`, or `bucket_prefix` + a suffix made once and kept across applies. */
function bucketName(ctx: ApplyContext): string {
  if (typeof ctx.config.bucket === 'string' && ctx.config.bucket !== '') return ctx.config.bucket;
  const prefix = typeof ctx.config.bucket_prefix === 'string' ? ctx.config.bucket_prefix : 'terraform-';
  const previous = ctx.previous as { bucket?: string } | undefined;
  if (previous?.bucket?.startsWith(prefix)) return previous.bucket;
  const name = `${prefix}${Date.now().toString(10)}${randomBytes(4).toString('hex')}`.slice(0, 63);
  ctx.savePrevious({ bucket: name });
  return name;
}

export function s3Appliers(options: S3ApplierOptions): ResourceAppliers {
  const { store } = options;
  return {
    aws_s3_bucket: async ctx => {
      const name = bucketName(ctx);
      await store.putBucket(name);
      return {
        id: name,
        bucket: name,
        arn: `arn:${ctx.partition}:s3:::${name}`,
        region: ctx.region,
        bucket_domain_name: `${name}.s3.amazonaws.com`,
        bucket_regional_domain_name: `${name}.s3.${ctx.region}.amazonaws.com`,
      };
    },
    aws_s3_bucket_versioning: async ctx => {
      const bucket = bucketOf(store, ctx);
      const status = String(singleBlock(ctx.config.versioning_configuration)?.status ?? 'Disabled');
      if (!['Enabled', 'Suspended', 'Disabled'].includes(status)) throw new Error(`${ctx.address}: versioning_configuration.status must be Enabled, Suspended or Disabled, got ${status}`);
      await store.putBucket(bucket.name, { versioning: status === 'Disabled' ? undefined : (status as 'Enabled' | 'Suspended') });
      return { id: bucket.name };
    },
    aws_s3_bucket_server_side_encryption_configuration: async ctx => {
      const bucket = bucketOf(store, ctx);
      const rule = singleBlock(ctx.config.rule) ?? {};
      const byDefault = singleBlock(rule.apply_server_side_encryption_by_default) ?? {};
      const algorithm = String(byDefault.sse_algorithm ?? 'AES256');
      if (algorithm !== 'aws:kms' && algorithm !== 'AES256') throw new Error(`${ctx.address}: sse_algorithm ${algorithm} is not served locally (aws:kms, AES256)`);
      const kmsKeyId = typeof byDefault.kms_master_key_id === 'string' ? byDefault.kms_master_key_id : undefined;
      // Objects are stored in the clear on this machine; the setting shapes S3's response headers.
      await store.putBucket(bucket.name, { encryption: { algorithm, kmsKeyId, bucketKeyEnabled: bool(rule.bucket_key_enabled) } });
      return { id: bucket.name };
    },
    aws_s3_bucket_public_access_block: async ctx => {
      const bucket = bucketOf(store, ctx);
      await store.putBucket(bucket.name, {
        publicAccessBlock: {
          blockPublicAcls: bool(ctx.config.block_public_acls),
          blockPublicPolicy: bool(ctx.config.block_public_policy),
          ignorePublicAcls: bool(ctx.config.ignore_public_acls),
          restrictPublicBuckets: bool(ctx.config.restrict_public_buckets),
        },
      });
      return { id: bucket.name };
    },
    aws_s3_bucket_policy: async ctx => {
      const bucket = bucketOf(store, ctx);
      const policy = typeof ctx.config.policy === 'string' ? ctx.config.policy : JSON.stringify(ctx.config.policy);
      for (const sid of unevaluatedStatements(policy)) {
        options.warn?.(`${ctx.address}: Deny statement ${sid} uses principals or conditions the local S3 cannot evaluate; not enforced locally`);
      }
      await store.putBucket(bucket.name, { policy });
      return { id: bucket.name, policy };
    },
    aws_s3_object: async ctx => {
      const bucket = bucketOf(store, ctx);
      const key = requireString(ctx, 'key');
      let body: Buffer;
      if (typeof ctx.config.content === 'string') body = Buffer.from(ctx.config.content, 'utf8');
      else if (typeof ctx.config.content_base64 === 'string') body = Buffer.from(ctx.config.content_base64, 'base64');
      else if (typeof ctx.config.source === 'string') body = readFileSync(resolve(ctx.config.source));
      else throw new Error(`${ctx.address}: one of content, content_base64 or source is required`);
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      const contentType = typeof ctx.config.content_type === 'string' ? ctx.config.content_type : 'binary/octet-stream';
      let meta = store.object(bucket.name, key);
      if (!meta || meta.etag !== etag || meta.contentType !== contentType) {
        const staged = await store.stage(Readable.from([body]));
        const metadata = (ctx.config.metadata ?? {}) as Record<string, string>;
        meta = await store.commit(bucket.name, staged, {
          key,
          etag,
          lastModified: new Date().toISOString(),
          contentType,
          userMetadata: metadata,
          headers: {},
          versionId: bucket.versioning === 'Enabled' ? newVersionId() : undefined,
        });
      }
      return { id: key, key, bucket: bucket.name, etag: meta.etag.slice(1, -1), version_id: meta.versionId ?? '' };
    },
  };
}
