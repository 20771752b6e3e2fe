/**
 * IAM identity policies (inline role policies) grant no `*` or `<service>:*` action and no `*`
 * resource: least privilege
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege).
 */
import { listOf, parsePolicyText, statementsOf } from './policy-json';
import { COMPLIANT, nonCompliant, NOT_APPLICABLE, type StackRule } from './rule';

export const iamPolicyNoWildcards: StackRule = {
  id: 'iam-policy-no-wildcards',
  description: 'IAM role and managed policies grant no * or service:* action and no * resource',
  check(resource) {
    if (resource.type !== 'aws_iam_role_policy' && resource.type !== 'aws_iam_policy')
      return NOT_APPLICABLE;
    const policy = parsePolicyText(resource.body.policy);
    if (policy instanceof Error) return nonCompliant(policy.message);
    for (const [index, statement] of statementsOf(policy).entries()) {
      if (statement.Effect !== 'Allow') continue;
      const action = listOf(statement.Action).find(name => name === '*' || name.endsWith(':*'));
      if (action !== undefined) return nonCompliant(`Statement[${index}] allows action ${action}`);
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        return nonCompliant(`Statement[${index}] uses NotAction/NotResource`);
      }
      const resources = listOf(statement.Resource);
      if (resources.length === 0) return nonCompliant(`Statement[${index}] has no Resource`);
      if (resources.includes('*')) return nonCompliant(`Statement[${index}] allows resource *`);
    }
    return COMPLIANT;
  },
};
