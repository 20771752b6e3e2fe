/**
 * What a provisioned device is in AWS IoT: a thing of the fleet's thing type, holding a
 * certificate with the fleet's device policy attached (see `device-policy-document.ts` for what
 * the policy allows). Fleet provisioning creates the things; this construct declares the type and
 * the policy they share.
 *
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/thing-types.html
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html
 */
import { Construct } from 'constructs';
import { IotPolicy } from '@cdktf/provider-aws/lib/iot-policy';
import { IotThingType } from '@cdktf/provider-aws/lib/iot-thing-type';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';
import { devicePolicyDocument } from './device-policy-document';
import { renderPolicy } from './policy-document';

export interface DeviceIdentityProps {
  readonly account: AccountContext;
  readonly thingTypeName: string;
  readonly policyName: string;
  /**
   * Devices publish telemetry under `<telemetryTopicPrefix>/<thing name>/...`.
   * @default 'fleet/telemetry'
   */
  readonly telemetryTopicPrefix?: string;
  /**
   * Searchable thing attributes (at most three, https://docs.aws.amazon.com/iot/latest/apireference/API_ThingTypeProperties.html).
   * @default ['serial']
   */
  readonly searchableAttributes?: readonly string[];
}

export class DeviceIdentity extends Construct {
  /** @attribute */
  public readonly thingTypeName: string;
  /** @attribute */
  public readonly thingTypeArn: string;
  /** @attribute */
  public readonly policyName: string;
  /** @attribute */
  public readonly policyArn: string;

  constructor(scope: Construct, id: string, props: DeviceIdentityProps) {
    super(scope, id);
    checkName(NAME_RULES.thingTypeName, props.thingTypeName);
    checkName(NAME_RULES.iotPolicyName, props.policyName);
    const searchable = props.searchableAttributes ?? ['serial'];
    if (searchable.length > 3) {
      throw new Error(
        `searchableAttributes allows at most 3 attributes, got ${searchable.length}: ${searchable.join(', ')}`,
      );
    }
    const thingType = new IotThingType(this, 'ThingType', {
      name: props.thingTypeName,
      properties: {
        description: 'ESP32 device of the fleet',
        searchableAttributes: [...searchable],
      },
    });
    const policy = new IotPolicy(this, 'Policy', {
      name: props.policyName,
      policy: renderPolicy(
        devicePolicyDocument({
          arn: (service, resource) => props.account.arn(service, resource),
          telemetryTopicPrefix: props.telemetryTopicPrefix ?? 'fleet/telemetry',
        }),
      ),
    });
    this.thingTypeName = thingType.name;
    this.thingTypeArn = thingType.arn;
    this.policyName = policy.name;
    this.policyArn = policy.arn;
  }
}
