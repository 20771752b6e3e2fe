/**
 * Fleet provisioning by claim
 * (https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html#claim-based):
 * devices leave the factory with one shared claim certificate that may only call the provisioning
 * MQTT API; on first boot each device sends its own CSR, then `RegisterThing` with its
 * `SerialNumber`; the pre-provisioning hook vets the serial; AWS IoT then creates the thing
 * `<prefix>-<serial>` of the fleet's thing type in the default group, activates the new
 * certificate and attaches the device policy.
 *
 * The claim certificate is issued by AWS IoT from a CSR (`aws_iot_certificate.csr`), so its
 * private key is made on the operator's machine by `fleet claim-cert` and never enters Terraform
 * state. The CSR text is read by Terraform's `file()` at plan time; synth never opens it.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IotCertificate } from '@cdktf/provider-aws/lib/iot-certificate';
import { IotPolicy } from '@cdktf/provider-aws/lib/iot-policy';
import { IotPolicyAttachment } from '@cdktf/provider-aws/lib/iot-policy-attachment';
import { IotProvisioningTemplate } from '@cdktf/provider-aws/lib/iot-provisioning-template';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';
import { claimPolicyDocument } from './claim-policy-document';
import type { DeviceIdentity } from './device-identity';
import { policyDocument, renderPolicy } from './policy-document';
import type { ProvisioningHookFunction } from './provisioning-hook-function';
import { SERIAL_PARAMETER } from './provisioning-hook/handler';

export interface FleetProvisioningProps {
  readonly account: AccountContext;
  readonly templateName: string;
  /** Things are named `<thingNamePrefix>-<SerialNumber>`. */
  readonly thingNamePrefix: string;
  /** Thing type and device policy given to every provisioned thing. */
  readonly deviceIdentity: DeviceIdentity;
  /** Name of the thing group every new thing joins. */
  readonly defaultThingGroupName: string;
  readonly hook: ProvisioningHookFunction;
  readonly provisioningRoleName: string;
  readonly claimPolicyName: string;
  /**
   * The claim CSR as a Terraform expression, normally `${file("...")}` (see `FleetStack`); PEM text
   * works too. Never a private key.
   */
  readonly claimCsr: string;
}

/**
 * The provisioning template body (https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html#fleet-provision-template).
 * Exported so tests and the local cloud documentation can show exactly what AWS receives.
 */
export function provisioningTemplateBody(props: {
  readonly thingNamePrefix: string;
  readonly thingTypeName: string;
  readonly defaultThingGroupName: string;
  readonly devicePolicyName: string;
}): Record<string, unknown> {
  return {
    Parameters: {
      [SERIAL_PARAMETER]: { Type: 'String' },
      // Filled in by AWS IoT with the certificate made from the device's CSR.
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { 'Fn::Join': ['', [`${props.thingNamePrefix}-`, { Ref: SERIAL_PARAMETER }]] },
          ThingTypeName: props.thingTypeName,
          ThingGroups: [props.defaultThingGroupName],
          AttributePayload: { serial: { Ref: SERIAL_PARAMETER } },
        },
        // A device that provisions again (new certificate after a flash erase) keeps its thing.
        OverrideSettings: {
          AttributePayload: 'MERGE',
          ThingTypeName: 'REPLACE',
          ThingGroups: 'DO_NOTHING',
        },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
      },
      policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: props.devicePolicyName } },
    },
  };
}

export class FleetProvisioning extends Construct {
  /** @attribute */
  public readonly templateName: string;
  /** @attribute */
  public readonly templateArn: string;
  /** @attribute */
  public readonly claimCertificateId: string;
  /** @attribute */
  public readonly claimCertificateArn: string;
  /** @attribute the claim certificate AWS IoT issued (public; goes to the factory with the key) */
  public readonly claimCertificatePem: string;
  /** @attribute */
  public readonly claimPolicyName: string;

  constructor(scope: Construct, id: string, props: FleetProvisioningProps) {
    super(scope, id);
    checkName(NAME_RULES.provisioningTemplateName, props.templateName);
    checkName(NAME_RULES.iamRoleName, props.provisioningRoleName);
    checkName(NAME_RULES.iotPolicyName, props.claimPolicyName);
    checkName(NAME_RULES.thingGroupName, props.defaultThingGroupName);
    // The longest serial we expect (a 64-character deny-list entry) must still fit a thing name.
    checkName(NAME_RULES.thingName, `${props.thingNamePrefix}-${'S'.repeat(64)}`);
    if (/PRIVATE KEY/.test(props.claimCsr)) {
      throw new Error('claimCsr holds a private key; pass the CSR (CERTIFICATE REQUEST) only');
    }
    const account = props.account;

    // The role AWS IoT assumes to create things and certificates, with AWS's managed policy for
    // exactly that (https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html).
    const role = new IamRole(this, 'Role', {
      name: props.provisioningRoleName,
      assumeRolePolicy: renderPolicy(
        policyDocument({
          Effect: 'Allow',
          Principal: { Service: 'iot.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': account.accountId } },
        }),
      ),
    });
    const registration = new IamRolePolicyAttachment(this, 'Registration', {
      role: role.name,
      policyArn: `arn:${account.partition}:iam::aws:policy/service-role/AWSIoTThingsRegistration`,
    });

    const template = new IotProvisioningTemplate(this, 'Template', {
      name: props.templateName,
      description: `Fleet provisioning by claim: things ${props.thingNamePrefix}-<serial>`,
      type: 'FLEET_PROVISIONING',
      enabled: true,
      provisioningRoleArn: role.arn,
      templateBody: JSON.stringify(
        provisioningTemplateBody({
          thingNamePrefix: props.thingNamePrefix,
          thingTypeName: props.deviceIdentity.thingTypeName,
          defaultThingGroupName: props.defaultThingGroupName,
          devicePolicyName: props.deviceIdentity.policyName,
        }),
      ),
      preProvisioningHook: { targetArn: props.hook.functionArn, payloadVersion: '2020-04-01' },
      dependsOn: [props.hook.invokePermission, registration],
    });

    const claimPolicy = new IotPolicy(this, 'ClaimPolicy', {
      name: props.claimPolicyName,
      policy: renderPolicy(
        claimPolicyDocument({
          arn: (service, resource) => account.arn(service, resource),
          templateName: props.templateName,
          clientIdPrefix: props.thingNamePrefix,
        }),
      ),
    });
    const claimCertificate = new IotCertificate(this, 'ClaimCertificate', {
      csr: props.claimCsr,
      active: true,
    });
    new IotPolicyAttachment(this, 'ClaimPolicyAttachment', {
      policy: claimPolicy.name,
      target: claimCertificate.arn,
    });

    this.templateName = template.name;
    this.templateArn = template.arn;
    this.claimCertificateId = claimCertificate.id;
    this.claimCertificateArn = claimCertificate.arn;
    this.claimCertificatePem = claimCertificate.certificatePem;
    this.claimPolicyName = claimPolicy.name;
  }
}
