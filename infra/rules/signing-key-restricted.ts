/**
 * KMS signing keys (`key_usage = SIGN_VERIFY`) have an explicit key policy in which nobody gets
 * `kms:*`, the account root gets no cryptographic use (so no IAM policy can hand out signing),
 * and every `kms:Sign` grant is pinned to one signing algorithm
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-signing-algorithm).
 */
import { listOf, parsePolicyText, statementsOf } from './policy-json';
import { COMPLIANT, nonCompliant, NOT_APPLICABLE, type StackRule } from './rule';

const USE_ACTIONS = ['kms:Sign', 'kms:Verify', 'kms:GetPublicKey'];

export const signingKeyRestricted: StackRule = {
  id: 'signing-key-restricted',
  description: 'signing keys: no kms:*, root administers only, Sign pinned to one algorithm',
  check(resource) {
    if (resource.type !== 'aws_kms_key' || resource.body.key_usage !== 'SIGN_VERIFY')
      return NOT_APPLICABLE;
    const policy = parsePolicyText(resource.body.policy);
    if (policy instanceof Error)
      return nonCompliant(`signing key needs an explicit key policy: ${policy.message}`);
    for (const [index, statement] of statementsOf(policy).entries()) {
      if (statement.Effect !== 'Allow') continue;
      const actions = listOf(statement.Action);
      if (actions.some(action => action === '*' || action === 'kms:*'))
        return nonCompliant(`Statement[${index}] allows kms:*`);
      const principals = listOf((statement.Principal as Record<string, unknown> | undefined)?.AWS);
      const toRoot = principals.some(principal => principal.endsWith(':root'));
      if (toRoot && actions.some(action => USE_ACTIONS.includes(action))) {
        return nonCompliant(
          `Statement[${index}] lets the account root (and so any IAM policy) use the key`,
        );
      }
      const algorithm = statement.Condition?.StringEquals?.['kms:SigningAlgorithm'];
      if (actions.includes('kms:Sign') && typeof algorithm !== 'string') {
        return nonCompliant(
          `Statement[${index}] allows kms:Sign without a kms:SigningAlgorithm condition`,
        );
      }
    }
    return COMPLIANT;
  },
};
