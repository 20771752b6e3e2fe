/**
 * Every S3 bucket has all four public access block settings on
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
 */
import {
  COMPLIANT,
  nonCompliant,
  NOT_APPLICABLE,
  refersTo,
  resourcesOf,
  type StackRule,
} from './rule';

const SETTINGS = [
  'block_public_acls',
  'block_public_policy',
  'ignore_public_acls',
  'restrict_public_buckets',
] as const;

export const bucketPublicAccessBlocked: StackRule = {
  id: 'bucket-public-access-blocked',
  description: 'S3 buckets block all public access',
  check(resource, stack) {
    if (resource.type !== 'aws_s3_bucket') return NOT_APPLICABLE;
    const block = resourcesOf(stack).find(
      other =>
        other.type === 'aws_s3_bucket_public_access_block' && refersTo(other.body.bucket, resource),
    );
    if (block === undefined)
      return nonCompliant('no aws_s3_bucket_public_access_block for the bucket');
    const off = SETTINGS.filter(setting => block.body[setting] !== true);
    return off.length === 0
      ? COMPLIANT
      : nonCompliant(`public access block leaves ${off.join(', ')} off`);
  },
};
