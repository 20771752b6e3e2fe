/**
 * Every S3 bucket has default encryption with a customer-managed KMS key (SSE-KMS, `aws:kms`)
 * rather than S3-managed keys, so reading an object also needs `kms:Decrypt` on our key
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
 */
import {
  COMPLIANT,
  nonCompliant,
  NOT_APPLICABLE,
  refersTo,
  resourcesOf,
  type StackRule,
} from './rule';

export const bucketEncryptedWithKms: StackRule = {
  id: 'bucket-encrypted-with-kms',
  description: 'S3 buckets encrypt by default with a KMS key',
  check(resource, stack) {
    if (resource.type !== 'aws_s3_bucket') return NOT_APPLICABLE;
    const configuration = resourcesOf(stack).find(
      other =>
        other.type === 'aws_s3_bucket_server_side_encryption_configuration' &&
        refersTo(other.body.bucket, resource),
    );
    if (configuration === undefined)
      return nonCompliant('no aws_s3_bucket_server_side_encryption_configuration for the bucket');
    const rules = Array.isArray(configuration.body.rule)
      ? (configuration.body.rule as Record<string, unknown>[])
      : [];
    const defaults = rules.map(
      rule => rule.apply_server_side_encryption_by_default as Record<string, unknown> | undefined,
    );
    const kms = defaults.find(
      value => value?.sse_algorithm === 'aws:kms' || value?.sse_algorithm === 'aws:kms:dsse',
    );
    if (kms === undefined) return nonCompliant('default encryption is not aws:kms');
    if (typeof kms.kms_master_key_id !== 'string' || kms.kms_master_key_id === '') {
      return nonCompliant('aws:kms without kms_master_key_id uses the AWS managed key, not ours');
    }
    return COMPLIANT;
  },
};
