/**
 * Every IAM, IoT, KMS and bucket policy document is JSON text with `Version: 2012-10-17` (the
 * version that supports policy variables) and a non-empty list of statements, each with an
 * `Effect` of Allow or Deny and an action
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
 */
import { listOf, parsePolicyText, POLICY_ATTRIBUTES, statementsOf } from './policy-json';
import { COMPLIANT, nonCompliant, NOT_APPLICABLE, type StackRule } from './rule';

export const policyDocumentValid: StackRule = {
  id: 'policy-document-valid',
  description: 'policy documents are JSON with Version 2012-10-17 and well-formed statements',
  check(resource) {
    const attributes = POLICY_ATTRIBUTES[resource.type];
    if (attributes === undefined) return NOT_APPLICABLE;
    let checked = 0;
    for (const attribute of attributes) {
      const text = resource.body[attribute];
      if (text === undefined) continue;
      checked += 1;
      const policy = parsePolicyText(text);
      if (policy instanceof Error) return nonCompliant(`${attribute}: ${policy.message}`);
      if (policy.Version !== '2012-10-17')
        return nonCompliant(
          `${attribute}: Version is ${JSON.stringify(policy.Version)}, expected "2012-10-17"`,
        );
      const statements = statementsOf(policy);
      if (statements.length === 0) return nonCompliant(`${attribute}: no Statement`);
      for (const [index, statement] of statements.entries()) {
        if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
          return nonCompliant(
            `${attribute}: Statement[${index}].Effect is ${JSON.stringify(statement.Effect)}, expected Allow or Deny`,
          );
        }
        if (listOf(statement.Action).length === 0 && listOf(statement.NotAction).length === 0) {
          return nonCompliant(`${attribute}: Statement[${index}] has no Action`);
        }
      }
    }
    return checked === 0 ? NOT_APPLICABLE : COMPLIANT;
  },
};
