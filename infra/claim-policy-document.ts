/**
 * The AWS IoT policy on the fleet's claim certificate: connect, then use only the fleet
 * provisioning MQTT API — `CreateCertificateFromCsr` and `RegisterThing` on this fleet's template
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html), following the
 * claim policy example in "Provisioning by claim"
 * (https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html#claim-based).
 * `json*` covers the request topic and its `/accepted` and `/rejected` replies.
 */
import { policyDocument, type PolicyDocument } from './policy-document';

export interface ClaimPolicyDocumentProps {
  /** Builds an ARN in this account and region: `(service, resource) => arn:...`. */
  readonly arn: (service: string, resource: string) => string;
  /** The fleet provisioning template's name. */
  readonly templateName: string;
  /**
   * Client ids a claiming device may use: `<clientIdPrefix>-*` (devices connect as
   * `<thing name prefix>-<serial>` while they provision).
   */
  readonly clientIdPrefix: string;
}

/** The reserved topics a claiming device uses, without the `json*` suffix. */
export function claimTopicBases(templateName: string): string[] {
  return [
    '$aws/certificates/create-from-csr/',
    `$aws/provisioning-templates/${templateName}/provision/`,
  ];
}

export function claimPolicyDocument(props: ClaimPolicyDocumentProps): PolicyDocument {
  const bases = claimTopicBases(props.templateName);
  const topics = bases.map(base => props.arn('iot', `topic/${base}json*`));
  const topicFilters = bases.map(base => props.arn('iot', `topicfilter/${base}json*`));
  return policyDocument(
    {
      Sid: 'ConnectToProvision',
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: props.arn('iot', `client/${props.clientIdPrefix}-*`),
    },
    {
      Sid: 'PublishProvisioningRequests',
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: topics,
    },
    { Sid: 'ReceiveProvisioningReplies', Effect: 'Allow', Action: 'iot:Receive', Resource: topics },
    {
      Sid: 'SubscribeProvisioningReplies',
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: topicFilters,
    },
  );
}
