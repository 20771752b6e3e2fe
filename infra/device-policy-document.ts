/**
 * The AWS IoT policy every provisioned device gets: a thing may connect only under its own thing
 * name, and only while its certificate is attached to that thing; it may publish, subscribe and
 * receive only on its own Jobs and shadow topics and on its own telemetry branch. Nothing else: no
 * `*` action, no `*` resource. Built on the policy variable `${iot:Connection.Thing.ThingName}`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html) as in the AWS
 * example "connect and publish only with the thing name as client id"
 * (https://docs.aws.amazon.com/iot/latest/developerguide/connect-policy.html).
 *
 * Jobs topics: https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html
 * Shadow topics: https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html#reserved-topics-shadow
 */
import { iotPolicyVariable, policyDocument, type PolicyDocument } from './policy-document';

export interface DevicePolicyDocumentProps {
  /** Builds an ARN in this account and region: `(service, resource) => arn:...`. */
  readonly arn: (service: string, resource: string) => string;
  /** Telemetry topics are `<telemetryTopicPrefix>/<thing name>/...`. */
  readonly telemetryTopicPrefix: string;
}

/** The topic branches a device owns, relative to nothing: each ends in `/*` in the policy. */
export function deviceTopicBranches(telemetryTopicPrefix: string, thingName: string): string[] {
  return [
    `$aws/things/${thingName}/jobs`,
    `$aws/things/${thingName}/shadow`,
    `${telemetryTopicPrefix}/${thingName}`,
  ];
}

export function devicePolicyDocument(props: DevicePolicyDocumentProps): PolicyDocument {
  const thing = iotPolicyVariable('iot:Connection.Thing.ThingName');
  const branches = deviceTopicBranches(props.telemetryTopicPrefix, thing);
  const topics = branches.map(branch => props.arn('iot', `topic/${branch}/*`));
  const topicFilters = branches.map(branch => props.arn('iot', `topicfilter/${branch}/*`));
  return policyDocument(
    {
      Sid: 'ConnectAsOwnThing',
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: props.arn('iot', `client/${thing}`),
      // The certificate must be attached to the thing whose name is the client id; without this a
      // certificate could connect under any thing name the variable resolves to.
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    },
    { Sid: 'PublishOwnTopics', Effect: 'Allow', Action: 'iot:Publish', Resource: topics },
    { Sid: 'ReceiveOwnTopics', Effect: 'Allow', Action: 'iot:Receive', Resource: topics },
    { Sid: 'SubscribeOwnTopics', Effect: 'Allow', Action: 'iot:Subscribe', Resource: topicFilters },
  );
}
