/**
 * Terraform appliers for `aws_kms_key` and `aws_kms_alias`: the stack's keys are generated on
 * first apply and found again by address afterwards (see kms-key-store.ts). Attributes returned
 * are those the AWS provider exports (`id`, `key_id`, `arn`; alias `arn`, `target_key_arn`).
 *
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key
 */
import type { ResourceAppliers } from '../terraform/resource-applier';
import { requireString } from '../terraform/resource-applier';
import type { KmsKeySpec, KmsKeyStore } from './kms-key-store';
import { SIGNING_KEY_SPECS } from './kms-signer';

export function kmsAppliers(keys: KmsKeyStore): ResourceAppliers {
  return {
    aws_kms_key: ctx => {
      const spec = String(ctx.config.customer_master_key_spec ?? ctx.config.key_spec ?? 'SYMMETRIC_DEFAULT');
      const usage = String(ctx.config.key_usage ?? 'ENCRYPT_DECRYPT');
      if (spec !== 'SYMMETRIC_DEFAULT' && !(SIGNING_KEY_SPECS as readonly string[]).includes(spec)) {
        throw new Error(`${ctx.address}: customer_master_key_spec ${spec} is not served locally (signing specs: ${SIGNING_KEY_SPECS.join(', ')}, or SYMMETRIC_DEFAULT)`);
      }
      const wantUsage = spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY';
      if (usage !== wantUsage) {
        throw new Error(`${ctx.address}: key_usage ${usage} with key spec ${spec} is not served locally (expected ${wantUsage})`);
      }
      const key = keys.ensureKey(ctx.address, spec as KmsKeySpec, String(ctx.config.description ?? ''));
      return { id: key.keyId, key_id: key.keyId, arn: key.arn, customer_master_key_spec: spec, key_spec: spec, key_usage: usage };
    },
    aws_kms_alias: ctx => {
      const name = requireString(ctx, 'name');
      const target = requireString(ctx, 'target_key_id');
      keys.setAlias(name, target);
      const key = keys.resolve(target);
      return { id: name, name, arn: keys.aliasArn(name), target_key_id: key.keyId, target_key_arn: key.arn };
    },
  };
}
