/**
 * Name rules AWS enforces, checked in constructors so a bad name fails at synth time with the
 * construct's own message instead of at apply time. Each limit cites the API page it comes from.
 */
import { Token } from 'cdktf';

export interface NameRule {
  readonly what: string;
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly source: string;
}

export const NAME_RULES = {
  thingName: {
    what: 'thing name',
    pattern: /^[a-zA-Z0-9:_-]+$/,
    maxLength: 128,
    source: 'https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html',
  },
  thingTypeName: {
    what: 'thing type name',
    pattern: /^[a-zA-Z0-9:_-]+$/,
    maxLength: 128,
    source: 'https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThingType.html',
  },
  thingGroupName: {
    what: 'thing group name',
    pattern: /^[a-zA-Z0-9:_-]+$/,
    maxLength: 128,
    source: 'https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThingGroup.html',
  },
  iotPolicyName: {
    what: 'IoT policy name',
    pattern: /^[\w+=,.@-]+$/,
    maxLength: 128,
    source: 'https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicy.html',
  },
  provisioningTemplateName: {
    what: 'provisioning template name',
    pattern: /^[0-9A-Za-z_-]+$/,
    maxLength: 36,
    source:
      'https://docs.aws.amazon.com/iot/latest/apireference/API_CreateProvisioningTemplate.html',
  },
  jobTemplateId: {
    what: 'job template id',
    pattern: /^[a-zA-Z0-9_-]+$/,
    maxLength: 64,
    source: 'https://docs.aws.amazon.com/iot/latest/apireference/API_CreateJobTemplate.html',
  },
  iamRoleName: {
    what: 'IAM role name',
    pattern: /^[\w+=,.@-]+$/,
    maxLength: 64,
    source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  },
  lambdaFunctionName: {
    what: 'Lambda function name',
    pattern: /^[a-zA-Z0-9_-]+$/,
    maxLength: 64,
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  },
  domainConfigurationName: {
    what: 'domain configuration name',
    pattern: /^[\w.-]+$/,
    maxLength: 128,
    source:
      'https://docs.aws.amazon.com/iot/latest/apireference/API_CreateDomainConfiguration.html',
  },
  cloudFormationStackName: {
    what: 'CloudFormation stack name',
    pattern: /^[a-zA-Z][-a-zA-Z0-9]*$/,
    maxLength: 128,
    source:
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html',
  },
} as const satisfies Record<string, NameRule>;

/**
 * Throws unless `name` satisfies `rule`. Unresolved tokens pass: they are checked where they are made.
 * @returns the name, for inline use
 */
export function checkName(rule: NameRule, name: string): string {
  // A Terraform reference (another resource's name attribute) was checked where it was made.
  if (Token.isUnresolved(name)) return name;
  if (name.length === 0 || name.length > rule.maxLength) {
    throw new Error(
      `${rule.what} "${name}" is ${name.length} characters; AWS allows 1-${rule.maxLength} (${rule.source})`,
    );
  }
  if (!rule.pattern.test(name)) {
    throw new Error(`${rule.what} "${name}" does not match ${rule.pattern} (${rule.source})`);
  }
  return name;
}
