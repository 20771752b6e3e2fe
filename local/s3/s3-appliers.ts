/**
 * The stack's S3 blocks — the bucket and its settings (versioning, default encryption, public
 * access block, ownership controls, policy) and the objects it uploads (job document templates) —
 * in two steps that match the local cloud's service contract (local-cloud-config.ts):
 *
 * 1. {@link s3Appliers} run inside the Terraform apply and return the attributes the AWS provider
 *    exports, so `${aws_s3_bucket.firmware.id}`/`.arn` resolve; they write nothing.
 * 2. {@link applyS3Declarations} runs when the S3 service starts, on the evaluated blocks in
 *    dependency order, and creates or updates buckets, settings and objects (idempotent).
 *
 * Lifecycle rules are not run locally (no noncurrent versions are kept), so
 * `aws_s3_bucket_lifecycle_configuration` stays in the apply's list of unknown types.
 *
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ApplyContext, ResourceAppliers } from '../terraform/resource-applier';
import { requireString, singleBlock } from '../terraform/resource-applier';
import type { TfBlock } from '../terraform/tf-json';
import { unevaluatedStatements } from './bucket-policy';
import type { BucketState, ObjectStore } from './object-store';
import { newVersionId } from './s3-object-handlers';

type Config = Readonly<Record<string, unknown>>;

const bool = (value: unknown): boolean => value === true || value === 'true';

/** Bucket name: `bucket`, or `bucket_prefix` + a suffix made once and kept across applies. */
function bucketName(ctx: ApplyContext): string {
  if (typeof ctx.config.bucket === 'string' && ctx.config.bucket !== '') return ctx.config.bucket;
  const prefix =
    typeof ctx.config.bucket_prefix === 'string' ? ctx.config.bucket_prefix : 'terraform-';
  const previous = ctx.previous as { bucket?: string } | undefined;
  if (previous?.bucket?.startsWith(prefix)) return previous.bucket;
  const name = `${prefix}${Date.now().toString(10)}${randomBytes(4).toString('hex')}`.slice(0, 63);
  ctx.savePrevious({ bucket: name });
  return name;
}

/** The body an `aws_s3_object` declares. */
function objectBody(address: string, config: Config): Buffer {
  if (typeof config.content === 'string') return Buffer.from(config.content, 'utf8');
  if (typeof config.content_base64 === 'string')
    return Buffer.from(config.content_base64, 'base64');
  if (typeof config.source === 'string') return readFileSync(resolve(config.source));
  throw new Error(`${address}: one of content, content_base64 or source is required`);
}

function versioningStatus(address: string, config: Config): 'Enabled' | 'Suspended' | undefined {
  const status = String(singleBlock(config.versioning_configuration)?.status ?? 'Disabled');
  if (!['Enabled', 'Suspended', 'Disabled'].includes(status))
    throw new Error(
      `${address}: versioning_configuration.status must be Enabled, Suspended or Disabled, got ${status}`,
    );
  return status === 'Disabled' ? undefined : (status as 'Enabled' | 'Suspended');
}

function encryptionOf(address: string, config: Config): NonNullable<BucketState['encryption']> {
  const rule = singleBlock(config.rule) ?? {};
  const byDefault = singleBlock(rule.apply_server_side_encryption_by_default) ?? {};
  const algorithm = String(byDefault.sse_algorithm ?? 'AES256');
  if (algorithm !== 'aws:kms' && algorithm !== 'AES256')
    throw new Error(
      `${address}: sse_algorithm ${algorithm} is not served locally (aws:kms, AES256)`,
    );
  const kmsKeyId =
    typeof byDefault.kms_master_key_id === 'string' ? byDefault.kms_master_key_id : undefined;
  return { algorithm, kmsKeyId, bucketKeyEnabled: bool(rule.bucket_key_enabled) };
}

function ownershipOf(address: string, config: Config): NonNullable<BucketState['objectOwnership']> {
  const ownership = String(singleBlock(config.rule)?.object_ownership ?? '');
  if (!['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'].includes(ownership)) {
    throw new Error(
      `${address}: rule.object_ownership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter, got "${ownership}"`,
    );
  }
  return ownership as NonNullable<BucketState['objectOwnership']>;
}

const policyText = (config: Config): string =>
  typeof config.policy === 'string' ? config.policy : JSON.stringify(config.policy);

/** Step 1: checked attributes, no side effects (see the file header). */
export function s3Appliers(): ResourceAppliers {
  const id = (ctx: ApplyContext) => ({ id: requireString(ctx, 'bucket') });
  return {
    aws_s3_bucket: ctx => {
      const name = bucketName(ctx);
      return {
        id: name,
        bucket: name,
        arn: `arn:${ctx.partition}:s3:::${name}`,
        region: ctx.region,
        bucket_domain_name: `${name}.s3.amazonaws.com`,
        bucket_regional_domain_name: `${name}.s3.${ctx.region}.amazonaws.com`,
      };
    },
    aws_s3_bucket_versioning: ctx => (versioningStatus(ctx.address, ctx.config), id(ctx)),
    aws_s3_bucket_server_side_encryption_configuration: ctx => (
      encryptionOf(ctx.address, ctx.config),
      id(ctx)
    ),
    aws_s3_bucket_public_access_block: id,
    aws_s3_bucket_ownership_controls: ctx => (ownershipOf(ctx.address, ctx.config), id(ctx)),
    aws_s3_bucket_policy: ctx => ({ ...id(ctx), policy: policyText(ctx.config) }),
    aws_s3_object: ctx => {
      const key = requireString(ctx, 'key');
      const etag = createHash('md5').update(objectBody(ctx.address, ctx.config)).digest('hex');
      return { id: key, key, bucket: requireString(ctx, 'bucket'), etag };
    },
  };
}

/** Step 2: create what the evaluated blocks declare (see the file header). */
export async function applyS3Declarations(
  store: ObjectStore,
  blocks: readonly TfBlock[],
  attributes: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  warn: (message: string) => void = () => {},
): Promise<void> {
  const bucketOf = (block: TfBlock): BucketState => {
    const name = String(block.config.bucket);
    const bucket = store.bucket(name);
    if (!bucket)
      throw new Error(
        `${block.address}: bucket "${name}" is not declared by an aws_s3_bucket in the stack`,
      );
    return bucket;
  };
  for (const block of blocks) {
    if (block.mode !== 'resource') continue;
    const { address, config } = block;
    switch (block.type) {
      case 'aws_s3_bucket':
        await store.putBucket(String(attributes.get(address)?.bucket ?? config.bucket));
        break;
      case 'aws_s3_bucket_versioning':
        await store.putBucket(bucketOf(block).name, {
          versioning: versioningStatus(address, config),
        });
        break;
      case 'aws_s3_bucket_server_side_encryption_configuration':
        // Objects are stored in the clear on this machine; the setting shapes S3's response headers.
        await store.putBucket(bucketOf(block).name, { encryption: encryptionOf(address, config) });
        break;
      case 'aws_s3_bucket_public_access_block':
        await store.putBucket(bucketOf(block).name, {
          publicAccessBlock: {
            blockPublicAcls: bool(config.block_public_acls),
            blockPublicPolicy: bool(config.block_public_policy),
            ignorePublicAcls: bool(config.ignore_public_acls),
            restrictPublicBuckets: bool(config.restrict_public_buckets),
          },
        });
        break;
      case 'aws_s3_bucket_ownership_controls':
        await store.putBucket(bucketOf(block).name, {
          objectOwnership: ownershipOf(address, config),
        });
        break;
      case 'aws_s3_bucket_policy': {
        const policy = policyText(config);
        for (const sid of unevaluatedStatements(policy)) {
          warn(
            `${address}: Deny statement ${sid} uses principals or conditions the local S3 cannot evaluate; not enforced locally`,
          );
        }
        await store.putBucket(bucketOf(block).name, { policy });
        break;
      }
      case 'aws_s3_object':
        await putDeclaredObject(store, bucketOf(block), block);
        break;
    }
  }
}

/** Upload a declared object unless the stored one already has the same bytes and type. */
async function putDeclaredObject(
  store: ObjectStore,
  bucket: BucketState,
  block: TfBlock,
): Promise<void> {
  const key = String(block.config.key);
  const body = objectBody(block.address, block.config);
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  const contentType =
    typeof block.config.content_type === 'string'
      ? block.config.content_type
      : 'binary/octet-stream';
  const current = store.object(bucket.name, key);
  if (current && current.etag === etag && current.contentType === contentType) return;
  const staged = await store.stage(Readable.from([body]));
  await store.commit(bucket.name, staged, {
    key,
    etag,
    lastModified: new Date().toISOString(),
    contentType,
    userMetadata: (block.config.metadata ?? {}) as Record<string, string>,
    headers: {},
    versionId: bucket.versioning === 'Enabled' ? newVersionId() : undefined,
  });
}
