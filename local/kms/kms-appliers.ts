/**
 * The stack's `aws_kms_key` and `aws_kms_alias` blocks, in two steps that match the local cloud's
 * service contract (local-cloud-config.ts):
 *
 * 1. {@link kmsAppliers} run inside the Terraform apply: they check each block and return the
 *    attributes the AWS provider exports (`id`, `key_id`, `arn`; alias `arn`, `target_key_arn`),
 *    without touching the disk. Key ids are derived from the address (`declaredKeyId`).
 * 2. {@link applyKmsDeclarations} runs when the service starts: it generates missing keys (kept
 *    across restarts, 0600) and points the aliases at them, in the apply's dependency order.
 *
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key
 */
import type { TfBlock } from '../terraform/tf-json';
import type { ApplyContext, ResourceAppliers } from '../terraform/resource-applier';
import { requireString } from '../terraform/resource-applier';
import { declaredKeyId, type KmsKeySpec, type KmsKeyStore } from './kms-key-store';
import { SIGNING_KEY_SPECS } from './kms-signer';

/** The key spec a block declares, checked against what we serve. */
function keySpecOf(address: string, config: Readonly<Record<string, unknown>>): KmsKeySpec {
  const spec = String(config.customer_master_key_spec ?? config.key_spec ?? 'SYMMETRIC_DEFAULT');
  const usage = String(config.key_usage ?? 'ENCRYPT_DECRYPT');
  if (spec !== 'SYMMETRIC_DEFAULT' && !(SIGNING_KEY_SPECS as readonly string[]).includes(spec)) {
    throw new Error(
      `${address}: customer_master_key_spec ${spec} is not served locally (signing specs: ${SIGNING_KEY_SPECS.join(', ')}, or SYMMETRIC_DEFAULT)`,
    );
  }
  const wantUsage = spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY';
  if (usage !== wantUsage)
    throw new Error(
      `${address}: key_usage ${usage} with key spec ${spec} is not served locally (expected ${wantUsage})`,
    );
  return spec as KmsKeySpec;
}

function keyArn(
  ctx: Pick<ApplyContext, 'partition' | 'region' | 'accountId'>,
  keyId: string,
): string {
  return `arn:${ctx.partition}:kms:${ctx.region}:${ctx.accountId}:key/${keyId}`;
}

/** Step 1: attributes only (see the file header). */
export function kmsAppliers(): ResourceAppliers {
  return {
    aws_kms_key: ctx => {
      const spec = keySpecOf(ctx.address, ctx.config);
      const keyId = declaredKeyId(ctx.accountId, ctx.region, ctx.address, spec);
      return {
        id: keyId,
        key_id: keyId,
        arn: keyArn(ctx, keyId),
        customer_master_key_spec: spec,
        key_spec: spec,
        key_usage: spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY',
      };
    },
    aws_kms_alias: ctx => {
      const name = requireString(ctx, 'name');
      const target = requireString(ctx, 'target_key_id');
      const keyId = target.includes(':key/') ? target.slice(target.indexOf(':key/') + 5) : target;
      return {
        id: name,
        name,
        arn: `arn:${ctx.partition}:kms:${ctx.region}:${ctx.accountId}:${name}`,
        target_key_id: keyId,
        target_key_arn: keyArn(ctx, keyId),
      };
    },
  };
}

/** Step 2: create what the evaluated blocks declare (see the file header). */
export function applyKmsDeclarations(keys: KmsKeyStore, blocks: readonly TfBlock[]): void {
  for (const block of blocks) {
    if (block.mode !== 'resource') continue;
    if (block.type === 'aws_kms_key') {
      keys.ensureKey(
        block.address,
        keySpecOf(block.address, block.config),
        String(block.config.description ?? ''),
      );
    } else if (block.type === 'aws_kms_alias') {
      keys.setAlias(String(block.config.name), String(block.config.target_key_id));
    }
  }
}
