// The console's identity as synthesized: the <prefix>-console IoT policy (what the local cloud
// enforces for the console credentials) and the IAM role with the same MQTT statements.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONSOLE_ACCESS_TAG } from '../console-access';
import { consolePolicyDocument } from '../console-policy-document';
import { environmentNames, parseEnvironment } from '../environments';
import { listOf, statementsOf, type ParsedPolicy } from '../rules/policy-json';
import { isAllowed, type ConnectionContext } from './iot-policy-matcher';
import {
  policyOf,
  resolveAccountReferences,
  resourceNamed,
  SAMPLE_ACCOUNT,
  synthesizeAll,
  type SynthesizedStacks,
} from './synthesized-stacks';

const ARN = `arn:aws:iot:${SAMPLE_ACCOUNT.region}:${SAMPLE_ACCOUNT.accountId}`;
const topic = (name: string) => `${ARN}:topic/${name}`;
const filter = (name: string) => `${ARN}:topicfilter/${name}`;

let synth: SynthesizedStacks;
beforeAll(() => {
  synth = synthesizeAll();
});
afterAll(() => synth.cleanup());

describe.each(environmentNames())('console access in %s', name => {
  const prefix = `esp32-fleet-${name}`;
  const telemetry = parseEnvironment(name).telemetryTopicPrefix ?? 'fleet/telemetry';
  const thing = `${parseEnvironment(name).thingNamePrefix}-24A160ABCDEF`;
  const me: ConnectionContext = {
    thingName: '',
    clientId: `${prefix}-console-7f3a`,
    isAttached: false,
  };
  let iotPolicy: ParsedPolicy;

  beforeAll(() => {
    const resource = resourceNamed(synth.stacks[name], 'aws_iot_policy', 'name', '-console');
    expect(resource.body.name).toBe(`${prefix}-console`);
    iotPolicy = policyOf({
      ...resource,
      body: { ...resource.body, policy: resolveAccountReferences(String(resource.body.policy)) },
    });
  });

  test('the IoT policy and the IAM role carry the tag the local cloud looks for', () => {
    const tags = { [CONSOLE_ACCESS_TAG.key]: CONSOLE_ACCESS_TAG.value };
    expect(
      resourceNamed(synth.stacks[name], 'aws_iot_policy', 'name', '-console').body.tags,
    ).toEqual(tags);
    expect(resourceNamed(synth.stacks[name], 'aws_iam_role', 'name', '-console').body.tags).toEqual(
      tags,
    );
  });

  test('the role policy holds every MQTT statement of the IoT policy, plus read access by ARN', () => {
    const rolePolicy = resourceNamed(
      synth.stacks[name],
      'aws_iam_role_policy',
      'name',
      'fleet-console',
    );
    const statements = statementsOf(
      policyOf({
        ...rolePolicy,
        body: {
          ...rolePolicy.body,
          policy: resolveAccountReferences(String(rolePolicy.body.policy)),
        },
      }),
    );
    for (const statement of statementsOf(iotPolicy)) expect(statements).toContainEqual(statement);
    const reads = statements.find(s => s.Sid === 'ReadFleet');
    expect(listOf(reads?.Resource)).toEqual([
      `${ARN}:thing/${parseEnvironment(name).thingNamePrefix}-*`,
    ]);
  });

  test.each([
    ['iot:Connect', `${ARN}:client/${prefix}-console-7f3a`, true],
    ['iot:Connect', `${ARN}:client/${thing}`, false],
    ['iot:Subscribe', filter('$aws/events/presence/connected/+'), true],
    ['iot:Subscribe', filter('$aws/events/presence/disconnected/+'), true],
    ['iot:Subscribe', filter('$aws/things/+/shadow/update/documents'), true],
    ['iot:Subscribe', filter('$aws/things/+/shadow/name/+/update/accepted'), true],
    ['iot:Subscribe', filter('$aws/things/+/jobs/notify'), true],
    ['iot:Subscribe', filter('$aws/events/jobExecution/+/+'), true],
    ['iot:Subscribe', filter(`${telemetry}/#`), true],
    ['iot:Subscribe', filter('#'), false],
    ['iot:Subscribe', filter('$aws/things/+/jobs/+/update/accepted'), false],
    ['iot:Receive', topic(`$aws/events/presence/connected/${thing}`), true],
    ['iot:Receive', topic(`${telemetry}/${thing}/status`), true],
    ['iot:Publish', topic(`$aws/things/${thing}/shadow/update`), true],
    ['iot:Publish', topic(`$aws/things/${thing}/shadow/get`), true],
    ['iot:Publish', topic(`$aws/things/${thing}/shadow/name/ota/update`), true],
    ['iot:Publish', topic(`$aws/things/${thing}/shadow/delete`), false],
    ['iot:Publish', topic(`$aws/things/${thing}/jobs/rel-1/update`), false],
    ['iot:Publish', topic(`$aws/things/${thing}/jobs/start-next`), false],
    ['iot:Publish', topic(`$aws/things/${thing}/jobs/shadow/update`), false],
    ['iot:Publish', topic(`${telemetry}/${thing}/status`), false],
  ])('%s on %s → %s', (action, resource, expected) => {
    expect(isAllowed(iotPolicy, action, resource, me)).toBe(expected);
  });
});

describe('consolePolicyDocument', () => {
  test.each(['', 'console-*'])('refuses clientIdPrefix %j', clientIdPrefix => {
    expect(() =>
      consolePolicyDocument({
        arn: (s, r) => `arn:aws:${s}:r:a:${r}`,
        clientIdPrefix,
        telemetryTopicPrefix: 't',
      }),
    ).toThrow(/clientIdPrefix must be a non-empty literal prefix/);
  });
});
