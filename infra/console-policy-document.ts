/**
 * What the operator console may do on the message broker (issue 11), as one policy document used
 * twice: as the AWS IoT policy `<prefix>-console` and as the IAM policy of the role the console
 * assumes (on AWS, a SigV4 WebSocket connection is authorized by the IAM policy of the signing
 * identity; the IoT policy is what the local cloud evaluates for the console's credentials).
 *
 * The console watches and edits desired state; it never acts as a device:
 * - connect only with client ids `<clientIdPrefix>*`;
 * - subscribe to and receive lifecycle events (`$aws/events/presence/...`), every thing's shadow
 *   topics, jobs notifications and job lifecycle events, and telemetry;
 * - publish only shadow `update` (desired state) and `get`, classic and named;
 * - explicitly denied: publishing on any thing's jobs topics — a device's job execution updates
 *   are the device's own — (the Deny also closes the gap a `*` leaves: in IoT policies `*`
 *   matches `/`, so `$aws/things/*` + `/shadow/update` would match `$aws/things/t/jobs/shadow/update`).
 *
 * Topics: https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html,
 * lifecycle events: https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html,
 * actions and resources: https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html.
 */
import { policyDocument, type PolicyDocument } from './policy-document';

export interface ConsolePolicyDocumentProps {
  /** Builds an ARN in this account and region: `(service, resource) => arn:...`. */
  readonly arn: (service: string, resource: string) => string;
  /** Console client ids start with this, e.g. `esp32-fleet-dev-console-`. */
  readonly clientIdPrefix: string;
  /** Devices publish telemetry under `<telemetryTopicPrefix>/<thing name>/...`. */
  readonly telemetryTopicPrefix: string;
}

/** Topic branches the console watches; each ends in `/*` in the policy. */
function consoleWatchedBranches(telemetryTopicPrefix: string): string[] {
  return [
    '$aws/events/presence/connected',
    '$aws/events/presence/disconnected',
    '$aws/events/job',
    '$aws/events/jobExecution',
    '$aws/things/*/shadow',
    '$aws/things/*/jobs/notify',
    '$aws/things/*/jobs/notify-next',
    telemetryTopicPrefix,
  ];
}

/** Topics the console publishes to: shadow desired-state updates and gets (classic and named). */
function consolePublishTopics(): string[] {
  return [
    '$aws/things/*/shadow/update',
    '$aws/things/*/shadow/get',
    '$aws/things/*/shadow/name/*/update',
    '$aws/things/*/shadow/name/*/get',
  ];
}

export function consolePolicyDocument(props: ConsolePolicyDocumentProps): PolicyDocument {
  if (props.clientIdPrefix === '' || props.clientIdPrefix.includes('*')) {
    throw new Error(
      `clientIdPrefix must be a non-empty literal prefix, got "${props.clientIdPrefix}"`,
    );
  }
  const branches = consoleWatchedBranches(props.telemetryTopicPrefix);
  // `jobs/notify` and `jobs/notify-next` are single topics, not branches.
  const asTopics = (kind: 'topic' | 'topicfilter'): string[] =>
    branches.map(branch =>
      props.arn(
        'iot',
        `${kind}/${branch}${branch.endsWith('/notify') || branch.endsWith('/notify-next') ? '' : '/*'}`,
      ),
    );
  return policyDocument(
    {
      Sid: 'ConnectAsConsole',
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: props.arn('iot', `client/${props.clientIdPrefix}*`),
    },
    {
      Sid: 'WatchFleet',
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: asTopics('topicfilter'),
    },
    { Sid: 'ReceiveFleet', Effect: 'Allow', Action: 'iot:Receive', Resource: asTopics('topic') },
    {
      Sid: 'EditDesiredState',
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: consolePublishTopics().map(topic => props.arn('iot', `topic/${topic}`)),
    },
    {
      Sid: 'NeverActAsDevice',
      Effect: 'Deny',
      Action: 'iot:Publish',
      Resource: [
        props.arn('iot', 'topic/$aws/things/*/jobs/*'),
        props.arn('iot', `topic/${props.telemetryTopicPrefix}/*`),
      ],
    },
  );
}
