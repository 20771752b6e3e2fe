/**
 * The operator console's identity (issue 11): the IAM role the console's server assumes to sign
 * MQTT-over-WebSocket URLs and read the fleet, and the AWS IoT policy `<prefix>-console` with the
 * same MQTT grants (see `console-policy-document.ts` for what they allow).
 *
 * On AWS a SigV4 WebSocket connection is authorized by the IAM policy of the signing identity
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iam-policies.html); the IoT policy serves
 * identities that get IoT policies attached (Cognito) and is what the local cloud evaluates for
 * its console credentials. Both resources carry the tag {@link CONSOLE_ACCESS_TAG} so the local
 * cloud finds them in the applied stack without knowing their names.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IotPolicy } from '@cdktf/provider-aws/lib/iot-policy';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';
import { consolePolicyDocument } from './console-policy-document';
import { policyDocument, renderPolicy } from './policy-document';

/** Tag on the console's IoT policy and IAM role (the local cloud looks for it). */
export const CONSOLE_ACCESS_TAG = { key: 'esp32-fleet:access', value: 'console' } as const;

export interface ConsoleAccessProps {
  readonly account: AccountContext;
  readonly roleName: string;
  readonly policyName: string;
  /** Console MQTT client ids start with this (e.g. `esp32-fleet-dev-console-`). */
  readonly clientIdPrefix: string;
  /** Things the console reads: `<thingNamePrefix>-*`. */
  readonly thingNamePrefix: string;
  /**
   * Devices publish telemetry under `<telemetryTopicPrefix>/<thing name>/...`.
   * @default 'fleet/telemetry'
   */
  readonly telemetryTopicPrefix?: string;
  /**
   * Principals allowed to assume the role (ARNs).
   * @default the account root: principals of this account whose IAM policy allows sts:AssumeRole on it
   */
  readonly assumedBy?: readonly string[];
}

export class ConsoleAccess extends Construct {
  /** @attribute */
  public readonly roleArn: string;
  /** @attribute */
  public readonly roleName: string;
  /** @attribute */
  public readonly policyName: string;
  /** @attribute */
  public readonly policyArn: string;
  /** @attribute console client ids start with this */
  public readonly clientIdPrefix: string;

  constructor(scope: Construct, id: string, props: ConsoleAccessProps) {
    super(scope, id);
    checkName(NAME_RULES.iamRoleName, props.roleName);
    checkName(NAME_RULES.iotPolicyName, props.policyName);
    const { account } = props;
    const tags = { [CONSOLE_ACCESS_TAG.key]: CONSOLE_ACCESS_TAG.value };
    const mqtt = consolePolicyDocument({
      arn: (service, resource) => account.arn(service, resource),
      clientIdPrefix: props.clientIdPrefix,
      telemetryTopicPrefix: props.telemetryTopicPrefix ?? 'fleet/telemetry',
    });

    const policy = new IotPolicy(this, 'Policy', {
      name: props.policyName,
      policy: renderPolicy(mqtt),
      tags,
    });
    const role = new IamRole(this, 'Role', {
      name: props.roleName,
      tags,
      assumeRolePolicy: renderPolicy(
        policyDocument({
          Effect: 'Allow',
          Principal: {
            AWS: props.assumedBy !== undefined ? [...props.assumedBy] : account.rootArn,
          },
          Action: 'sts:AssumeRole',
        }),
      ),
    });
    const things = account.arn('iot', `thing/${props.thingNamePrefix}-*`);
    new IamRolePolicy(this, 'RolePolicy', {
      role: role.id,
      name: 'fleet-console',
      policy: renderPolicy(
        policyDocument(
          ...mqtt.Statement,
          {
            Sid: 'ReadFleet',
            Effect: 'Allow',
            Action: [
              'iot:DescribeThing',
              'iot:GetThingShadow',
              'iot:ListNamedShadowsForThing',
              'iot:ListJobExecutionsForThing',
            ],
            Resource: things,
          },
          {
            Sid: 'EditShadows',
            Effect: 'Allow',
            Action: 'iot:UpdateThingShadow',
            Resource: things,
          },
          {
            Sid: 'ReadRollouts',
            Effect: 'Allow',
            Action: ['iot:DescribeJob', 'iot:ListJobExecutionsForJob', 'iot:DescribeJobExecution'],
            Resource: account.arn('iot', 'job/*'),
          },
          {
            Sid: 'QueryFleetIndex',
            Effect: 'Allow',
            Action: ['iot:SearchIndex', 'iot:GetStatistics'],
            Resource: account.arn('iot', 'index/AWS_Things'),
          },
        ),
      ),
    });

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.policyName = policy.name;
    this.policyArn = policy.arn;
    this.clientIdPrefix = props.clientIdPrefix;
  }
}
