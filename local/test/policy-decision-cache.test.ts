import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqtt } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../local-cloud-config';
import {
  connectDevice,
  provisionDevice,
  startTestCloud,
  waitForInterrupt,
} from './local-cloud-harness';

// The broker remembers policy decisions per connection (broker/policy-decision-cache.ts). A policy
// replaced or attached while a device is connected must still take effect on its next request.
let cloud: LocalCloud;
let device: Awaited<ReturnType<typeof provisionDevice>>;

beforeAll(async () => {
  cloud = await startTestCloud();
  device = await provisionDevice(cloud, 'CAC4ECAC4ECA');
});
afterAll(async () => {
  await cloud?.close();
});

const certificateArn = (): string =>
  cloud.registry.getCertificate(device.certificateId)!.certificateArn;
const topic = (): string => `$aws/things/${device.thingName}/shadow/get`;
const denyDocument = (resource: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: 'iot:Publish', Resource: resource }],
  });

describe('remembered policy decisions', () => {
  it('follow a policy attached to the certificate while the device is connected', async () => {
    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    try {
      // Asked twice: the second answer comes from the cache.
      await expect(connection.publish(topic(), '{}', mqtt.QoS.AtLeastOnce)).resolves.toBeDefined();
      await expect(connection.publish(topic(), '{}', mqtt.QoS.AtLeastOnce)).resolves.toBeDefined();
      cloud.registry.putPolicy(
        'cache-test-deny',
        denyDocument(cloud.registry.arn(`topic/${topic()}`)),
      );
      cloud.registry.attachPolicy('cache-test-deny', certificateArn());
      const closed = waitForInterrupt(connection);
      void connection.publish(topic(), '{}', mqtt.QoS.AtLeastOnce).catch(() => {});
      await closed;
    } finally {
      await connection.disconnect().catch(() => {});
    }
  });

  it('follow a policy document replaced while the device is connected', async () => {
    // The deny policy now names another topic, so the device's own topic is allowed again ...
    cloud.registry.putPolicy(
      'cache-test-deny',
      denyDocument(cloud.registry.arn('topic/nothing/here')),
    );
    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    try {
      await expect(connection.publish(topic(), '{}', mqtt.QoS.AtLeastOnce)).resolves.toBeDefined();
      await expect(connection.publish(topic(), '{}', mqtt.QoS.AtLeastOnce)).resolves.toBeDefined();
      // ... until the same policy is replaced by one that denies it.
      cloud.registry.putPolicy(
        'cache-test-deny',
        denyDocument(cloud.registry.arn(`topic/$aws/things/${device.thingName}/*`)),
      );
      const closed = waitForInterrupt(connection);
      void connection.publish(topic(), '{}', mqtt.QoS.AtLeastOnce).catch(() => {});
      await closed;
    } finally {
      await connection.disconnect().catch(() => {});
    }
  });

  it('are not shared between connections of different things', async () => {
    cloud.registry.putPolicy(
      'cache-test-deny',
      denyDocument(cloud.registry.arn('topic/nothing/here')),
    );
    const other = await provisionDevice(cloud, 'CAC4ECAC4ECB');
    const mine = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    const theirs = await connectDevice(cloud, other.certPem, other.keyPem, other.thingName);
    try {
      await expect(mine.publish(topic(), '{}', mqtt.QoS.AtLeastOnce)).resolves.toBeDefined();
      // The same topic is another thing's for `other`: its policy denies it.
      const closed = waitForInterrupt(theirs);
      void theirs.publish(topic(), '{}', mqtt.QoS.AtLeastOnce).catch(() => {});
      await closed;
    } finally {
      await mine.disconnect().catch(() => {});
      await theirs.disconnect().catch(() => {});
    }
  });
});
