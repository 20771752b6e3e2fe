/**
 * Every S3 bucket's policy denies requests made without TLS (`aws:SecureTransport` false) on the
 * bucket and its objects (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit).
 */
import { listOf, parsePolicyText, statementsOf } from './policy-json';
import {
  COMPLIANT,
  nonCompliant,
  NOT_APPLICABLE,
  refersTo,
  resourcesOf,
  type StackRule,
} from './rule';

export const bucketDeniesInsecureTransport: StackRule = {
  id: 'bucket-denies-insecure-transport',
  description: 'S3 bucket policies deny non-TLS requests',
  check(resource, stack) {
    if (resource.type !== 'aws_s3_bucket') return NOT_APPLICABLE;
    const bucketPolicy = resourcesOf(stack).find(
      other => other.type === 'aws_s3_bucket_policy' && refersTo(other.body.bucket, resource),
    );
    if (bucketPolicy === undefined) return nonCompliant('no aws_s3_bucket_policy for the bucket');
    const policy = parsePolicyText(bucketPolicy.body.policy);
    if (policy instanceof Error) return nonCompliant(policy.message);
    const denies = statementsOf(policy).some(statement => {
      const resources = listOf(statement.Resource);
      return (
        statement.Effect === 'Deny' &&
        listOf(statement.Action).includes('s3:*') &&
        statement.Condition?.Bool?.['aws:SecureTransport'] === 'false' &&
        resources.some(item => refersTo(item, resource) && !item.endsWith('/*')) &&
        resources.some(item => refersTo(item, resource) && item.endsWith('/*'))
      );
    });
    return denies
      ? COMPLIANT
      : nonCompliant(
          'bucket policy has no Deny s3:* on bucket and objects when aws:SecureTransport is false',
        );
  },
};
