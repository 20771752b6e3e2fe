import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqtt } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../local-cloud-config';
import {
  connectDevice,
  provisionDevice,
  startTestCloud,
  tempStateDir,
  waitForInterrupt,
} from './local-cloud-harness';

// Retained messages as AWS IoT supports them (mqtt.md, "Using MQTT retained messages"): publishing one
// needs iot:RetainPublish; only a subscription to the exact topic receives it on SUBSCRIBE; an empty
// retained payload deletes it; AWS keeps them, so they survive a restart.
let cloud: LocalCloud;
let device: Awaited<ReturnType<typeof provisionDevice>>;
const stateDir = tempStateDir();

beforeAll(async () => {
  cloud = await startTestCloud({ stateDir });
  device = await provisionDevice(cloud, '333333333333');
});
afterAll(async () => {
  await cloud?.close();
});

/**
 * The first message on `filter` within `ms`, then the filter is unsubscribed again: aws-crt hands
 * one payload ArrayBuffer to every matching subscription callback of a connection and may detach
 * it after the first, which aborts the process ("Cannot perform Construct on a detached
 * ArrayBuffer" in mqtt_client_connection.c) when two of a connection's filters overlap.
 */
async function firstMessage(
  connection: mqtt.MqttClientConnection,
  filter: string,
  ms = 1500,
): Promise<{ payload: string; retain: boolean } | undefined> {
  const message = await new Promise<{ payload: string; retain: boolean } | undefined>(resolve => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void connection.subscribe(
      filter,
      mqtt.QoS.AtLeastOnce,
      (_topic, payload, _dup, _qos, retain) => {
        clearTimeout(timer);
        resolve({ payload: Buffer.from(payload).toString(), retain });
      },
    );
  });
  await connection.unsubscribe(filter);
  return message;
}

describe('retained messages', () => {
  it('disconnect a device whose policy lacks iot:RetainPublish', async () => {
    const connection = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    const closed = waitForInterrupt(connection);
    void connection
      .publish(`fleet/telemetry/${device.thingName}/state`, 'on', mqtt.QoS.AtLeastOnce, true)
      .catch(() => {});
    await closed;
    await connection.disconnect().catch(() => {});
  });

  it('are delivered on SUBSCRIBE to the exact topic only, and survive a restart', async () => {
    const topic = `fleet/telemetry/${device.thingName}/state`;
    const arn = cloud.registry.getCertificate(device.certificateId)!.certificateArn;
    cloud.registry.putPolicy(
      'test-retain',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:RetainPublish',
            Resource: `arn:aws:iot:${cloud.config.region}:${cloud.config.accountId}:topic/${topic}`,
          },
        ],
      }),
    );
    cloud.registry.attachPolicy('test-retain', arn);
    const publisher = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    await publisher.publish(topic, 'on', mqtt.QoS.AtLeastOnce, true);
    await publisher.disconnect();

    const subscriber = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    expect(await firstMessage(subscriber, `fleet/telemetry/${device.thingName}/+`)).toBeUndefined();
    expect(await firstMessage(subscriber, topic)).toEqual({ payload: 'on', retain: true });
    await subscriber.disconnect();

    await cloud.close();
    cloud = await startTestCloud({ stateDir });
    const after = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    expect(await firstMessage(after, topic)).toEqual({ payload: 'on', retain: true });
    // An empty retained payload deletes it.
    await after.publish(topic, '', mqtt.QoS.AtLeastOnce, true);
    await after.disconnect();
    const last = await connectDevice(cloud, device.certPem, device.keyPem, device.thingName);
    expect(await firstMessage(last, topic, 1000)).toBeUndefined();
    await last.disconnect();
  });
});
