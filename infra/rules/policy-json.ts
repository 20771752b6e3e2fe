/**
 * Reads a policy document out of a Terraform string attribute: JSON whose values may hold
 * Terraform references (`${data.aws_partition...}`, left as they are) and escaped literals
 * (`$${iot:...}`, turned back into `${iot:...}` as AWS will see them).
 */

export interface ParsedStatement {
  readonly Sid?: string;
  readonly Effect?: unknown;
  readonly Principal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface ParsedPolicy {
  readonly Version?: unknown;
  readonly Statement?: unknown;
}

/** Undoes Terraform's `$${` / `%%{` escapes. */
export function unescapeTerraformTemplate(text: string): string {
  return text.replace(/([$%])\1\{/g, '$1{');
}

/**
 * @returns the parsed document, or an Error saying why it is not a JSON object
 */
export function parsePolicyText(text: unknown): ParsedPolicy | Error {
  if (typeof text !== 'string')
    return new Error(`policy is a ${typeof text}, expected a JSON string`);
  if (text.startsWith('${') && text.endsWith('}'))
    return new Error('policy is a Terraform expression, expected JSON text');
  try {
    const parsed: unknown = JSON.parse(unescapeTerraformTemplate(text));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return new Error('policy JSON is not an object');
    return parsed as ParsedPolicy;
  } catch (error) {
    return new Error(`policy is not valid JSON: ${(error as Error).message}`);
  }
}

/** The statements of a parsed policy (a single statement object counts as a list of one). */
export function statementsOf(policy: ParsedPolicy): ParsedStatement[] {
  const statement = policy.Statement;
  if (Array.isArray(statement)) return statement as ParsedStatement[];
  if (typeof statement === 'object' && statement !== null) return [statement as ParsedStatement];
  return [];
}

/** A string-or-list field as a list. */
export function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** Attributes that hold policy documents, by resource type. */
export const POLICY_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_iam_policy: ['policy'],
  aws_iam_role: ['assume_role_policy'],
  aws_iam_role_policy: ['policy'],
  aws_iot_policy: ['policy'],
  aws_kms_key: ['policy'],
  aws_s3_bucket_policy: ['policy'],
};
