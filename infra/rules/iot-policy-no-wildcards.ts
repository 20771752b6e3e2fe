/**
 * AWS IoT policies grant no wildcard action (`*`, `iot:*`) and no wildcard resource (`*`, or an
 * ARN whose resource part is only `*`): every grant names the client or topic branch it is for
 * (https://docs.aws.amazon.com/iot/latest/developerguide/security-best-practices.html).
 */
import { listOf, parsePolicyText, statementsOf } from './policy-json';
import { COMPLIANT, nonCompliant, NOT_APPLICABLE, type StackRule } from './rule';

const WILDCARD_ACTIONS = new Set(['*', 'iot:*']);

/** True for `*` and for ARNs like `arn:aws:iot:r:a:*` or `arn:aws:iot:r:a:topic/*`. */
export function isWildcardResource(resource: string): boolean {
  if (resource === '*') return true;
  const resourcePart = resource.split(':').slice(5).join(':');
  return /^([a-z]+\/)?\*$/.test(resourcePart);
}

export const iotPolicyNoWildcards: StackRule = {
  id: 'iot-policy-no-wildcards',
  description: 'IoT policies grant no * action and no * resource',
  check(resource) {
    if (resource.type !== 'aws_iot_policy') return NOT_APPLICABLE;
    const policy = parsePolicyText(resource.body.policy);
    if (policy instanceof Error) return nonCompliant(policy.message);
    for (const [index, statement] of statementsOf(policy).entries()) {
      if (statement.Effect !== 'Allow') continue;
      const action = listOf(statement.Action).find(name => WILDCARD_ACTIONS.has(name));
      if (action !== undefined) return nonCompliant(`Statement[${index}] allows action ${action}`);
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        return nonCompliant(
          `Statement[${index}] uses NotAction/NotResource, which allows everything else`,
        );
      }
      const wildcard = listOf(statement.Resource).find(isWildcardResource);
      if (wildcard !== undefined)
        return nonCompliant(`Statement[${index}] allows resource ${wildcard}`);
      if (listOf(statement.Resource).length === 0)
        return nonCompliant(`Statement[${index}] has no Resource`);
    }
    return COMPLIANT;
  },
};
