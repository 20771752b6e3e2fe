/**
 * IAM / IoT policy documents as plain data, and their JSON rendering. Both IAM and AWS IoT use the
 * same grammar (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html,
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html), always with
 * `Version: 2012-10-17`: the older 2008-10-17 version does not support policy variables.
 */

export type PolicyEffect = 'Allow' | 'Deny';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: PolicyEffect;
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<
    Record<string, Readonly<Record<string, string | readonly string[]>>>
  >;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** A policy document with the current language version. */
export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
  if (statements.length === 0) throw new Error('a policy document needs at least one statement');
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * Renders a policy for a Terraform string attribute. Terraform references inside the values
 * (`${data.aws_partition...}`) stay as they are and are resolved by Terraform; policy variables
 * must already be escaped (see `iotPolicyVariable`).
 */
export function renderPolicy(document: PolicyDocument): string {
  return JSON.stringify(document);
}

/** The AWS IoT policy variables the stack uses (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-variables.html). */
export type IotPolicyVariableName =
  'iot:Connection.Thing.ThingName' | 'iot:ClientId' | 'iot:Connection.Thing.IsAttached';

/**
 * An AWS IoT policy variable as it must appear inside a Terraform string: `$${iot:...}`.
 * Terraform reads `${...}` as an interpolation and would fail on `iot:...`; `$${` is its escape
 * for a literal `${` (https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences),
 * so AWS receives `${iot:Connection.Thing.ThingName}`. cdktf does not add this escape to plain
 * strings, so we do.
 */
export function iotPolicyVariable(name: IotPolicyVariableName): string {
  return `$\${${name}}`;
}

/**
 * Escapes Terraform template sequences in a literal string: `${` becomes `$${` and `%{` becomes
 * `%%{` (https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences).
 * For text that holds no cdktf token (the job document's `${aws:iot:s3-presigned-url:...}`
 * placeholder, a serial pattern): a token's own `${...}` would be escaped too.
 */
export function escapeTerraformTemplate(text: string): string {
  // A function replacement: in a replacement string `$$` would itself mean one `$`.
  return text.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}
