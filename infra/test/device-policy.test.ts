import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parsePolicyText, type ParsedPolicy } from '../rules/policy-json';
import { isAllowed, type ConnectionContext } from './iot-policy-matcher';
import {
  resolveAccountReferences,
  resourceNamed,
  SAMPLE_ACCOUNT,
  synthesizeAll,
  type SynthesizedStacks,
} from './synthesized-stacks';

const ARN = `arn:aws:iot:${SAMPLE_ACCOUNT.region}:${SAMPLE_ACCOUNT.accountId}`;
const topic = (name: string) => `${ARN}:topic/${name}`;
const filter = (name: string) => `${ARN}:topicfilter/${name}`;
const client = (id: string) => `${ARN}:client/${id}`;

let synth: SynthesizedStacks;
let device: ParsedPolicy;
let claim: ParsedPolicy;
beforeAll(() => {
  synth = synthesizeAll();
  const stack = synth.stacks.dev;
  // Resolve the data sources as AWS (or the local cloud) would, and Terraform's $${ escapes.
  const load = (suffix: string) => {
    const parsed = parsePolicyText(
      resolveAccountReferences(
        String(resourceNamed(stack, 'aws_iot_policy', 'name', suffix).body.policy),
      ),
    );
    if (parsed instanceof Error) throw parsed;
    return parsed;
  };
  device = load('-device');
  claim = load('-claim');
});
afterAll(() => synth.cleanup());

const me: ConnectionContext = {
  thingName: 'esp32-dev-24A160ABCDEF',
  clientId: 'esp32-dev-24A160ABCDEF',
  isAttached: true,
};
const other = 'esp32-dev-24A160ABCDE0';
const otherTopics = [
  `$aws/things/${other}/jobs/notify-next`,
  `$aws/things/${other}/jobs/start-next`,
  `$aws/things/${other}/jobs/job-1/update`,
  `$aws/things/${other}/shadow/update`,
  `$aws/things/${other}/shadow/name/ota/get/accepted`,
  `fleet/telemetry/${other}/health`,
  // A thing whose name starts with mine must not match my branch either.
  `$aws/things/${me.thingName}X/jobs/notify`,
  `fleet/telemetry/${me.thingName}X/health`,
];
const ownTopics = [
  `$aws/things/${me.thingName}/jobs/notify-next`,
  `$aws/things/${me.thingName}/jobs/start-next`,
  `$aws/things/${me.thingName}/jobs/start-next/accepted`,
  `$aws/things/${me.thingName}/jobs/job-1/update`,
  `$aws/things/${me.thingName}/shadow/update`,
  `$aws/things/${me.thingName}/shadow/name/ota/update/delta`,
  `fleet/telemetry/${me.thingName}/health`,
];

describe('device policy', () => {
  test('connects only as its own thing name, and only with the certificate attached to that thing', () => {
    expect(isAllowed(device, 'iot:Connect', client(me.thingName), me)).toBe(true);
    expect(isAllowed(device, 'iot:Connect', client(other), me)).toBe(false);
    expect(
      isAllowed(device, 'iot:Connect', client(me.thingName), { ...me, isAttached: false }),
    ).toBe(false);
  });

  test.each(ownTopics)('allows publish, receive and subscribe on its own %s', name => {
    expect(isAllowed(device, 'iot:Publish', topic(name), me)).toBe(true);
    expect(isAllowed(device, 'iot:Receive', topic(name), me)).toBe(true);
    expect(isAllowed(device, 'iot:Subscribe', filter(name), me)).toBe(true);
  });

  test.each(otherTopics)("never grants another thing's %s", name => {
    for (const action of ['iot:Publish', 'iot:Receive'])
      expect(isAllowed(device, action, topic(name), me), action).toBe(false);
    expect(isAllowed(device, 'iot:Subscribe', filter(name), me)).toBe(false);
  });

  test.each([
    '$aws/things/+/jobs/notify',
    '$aws/things/#',
    '#',
    'fleet/telemetry/#',
    '$aws/certificates/create-from-csr/json',
    '$aws/provisioning-templates/esp32-fleet-dev-provision/provision/json',
    '$aws/events/job/job-1/completed',
  ])('cannot subscribe to the wide filter %s', name => {
    expect(isAllowed(device, 'iot:Subscribe', filter(name), me)).toBe(false);
  });

  test('grants nothing else: no retain, no shadow of other things via the Device Shadow HTTP actions', () => {
    for (const action of [
      'iot:RetainPublish',
      'iot:GetThingShadow',
      'iot:UpdateThingShadow',
      'iot:CreateJob',
    ]) {
      expect(isAllowed(device, action, `${ARN}:thing/${me.thingName}`, me), action).toBe(false);
    }
  });
});

describe('claim policy', () => {
  const claimant: ConnectionContext = {
    thingName: '',
    clientId: 'esp32-dev-24A160ABCDEF',
    isAttached: false,
  };
  test.each([
    '$aws/certificates/create-from-csr/json',
    '$aws/certificates/create-from-csr/json/accepted',
    '$aws/certificates/create-from-csr/json/rejected',
    '$aws/provisioning-templates/esp32-fleet-dev-provision/provision/json',
    '$aws/provisioning-templates/esp32-fleet-dev-provision/provision/json/accepted',
  ])('allows the provisioning API topic %s', name => {
    expect(isAllowed(claim, 'iot:Publish', topic(name), claimant)).toBe(true);
    expect(isAllowed(claim, 'iot:Receive', topic(name), claimant)).toBe(true);
    expect(isAllowed(claim, 'iot:Subscribe', filter(name), claimant)).toBe(true);
  });

  test.each([
    '$aws/certificates/create/json',
    '$aws/provisioning-templates/other-template/provision/json',
    `$aws/things/${claimant.clientId}/jobs/notify-next`,
    `$aws/things/${claimant.clientId}/shadow/update`,
    'fleet/telemetry/x/y',
  ])('refuses %s', name => {
    expect(isAllowed(claim, 'iot:Publish', topic(name), claimant)).toBe(false);
    expect(isAllowed(claim, 'iot:Subscribe', filter(name), claimant)).toBe(false);
  });

  test('connects only with a client id under the thing name prefix', () => {
    expect(isAllowed(claim, 'iot:Connect', client('esp32-dev-24A160ABCDEF'), claimant)).toBe(true);
    expect(isAllowed(claim, 'iot:Connect', client('anything'), claimant)).toBe(false);
  });
});
