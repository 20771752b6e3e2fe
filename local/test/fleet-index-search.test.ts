import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetBucketsAggregationCommand,
  GetStatisticsCommand,
  SearchIndexCommand,
} from '@aws-sdk/client-iot';
import { iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import { connectDevice, provisionDevice } from './local-cloud-harness';
import { iotClient, startIotTestCloud, type IotTestCloud } from './utils/iot-test-cloud';

// The question a rollout gate asks: how many devices on the new version report crashes since
// the update — one fleet-indexing call, with the stack's indexing configuration.
let t: IotTestCloud;
const things: string[] = [];

beforeAll(async () => {
  t = await startIotTestCloud();
  const fleet = [
    { serial: 'A4000000000A', version: '1.4.0', crashes: 0 },
    { serial: 'B4000000000B', version: '1.4.0', crashes: 2 },
    { serial: 'C4000000000C', version: '1.4.0', crashes: 0 },
    { serial: 'D4000000000D', version: '1.3.0', crashes: 0 },
  ];
  for (const d of fleet) {
    const device = await provisionDevice(t.cloud, d.serial);
    things.push(device.thingName);
    const connection = await connectDevice(
      t.cloud,
      device.certPem,
      device.keyPem,
      device.thingName,
    );
    const shadow = new iotshadow.IotShadowClient(connection);
    const accepted = new Promise(
      resolve =>
        void shadow.subscribeToUpdateShadowAccepted(
          { thingName: device.thingName },
          mqtt.QoS.AtLeastOnce,
          (_e, r) => r && resolve(r),
        ),
    );
    await new Promise(r => setTimeout(r, 50));
    await shadow.publishUpdateShadow(
      {
        thingName: device.thingName,
        state: {
          reported: {
            firmware: { version: d.version, slot: 'ota_1' },
            health: {
              bootsSinceUpdate: 1 + d.crashes,
              crashesSinceUpdate: d.crashes,
              reconnects: 0,
              uptimeSeconds: 60,
            },
          },
        },
      },
      mqtt.QoS.AtLeastOnce,
    );
    await accepted;
    if (d.serial !== 'D4000000000D') await connection.disconnect(); // one device stays connected
  }
}, 90_000);
afterAll(async () => {
  await t?.cloud.close();
});

describe('fleet indexing', () => {
  it('counts devices by reported version and health with GetStatistics', async () => {
    const iot = iotClient(t.cloud);
    const count = async (queryString: string) =>
      (await iot.send(new GetStatisticsCommand({ queryString }))).statistics?.count;
    expect(await count('shadow.reported.firmware.version:1.4.0')).toBe(3);
    expect(
      await count(
        'shadow.reported.firmware.version:1.4.0 AND shadow.reported.health.crashesSinceUpdate>0',
      ),
    ).toBe(1);
    expect(
      await count(
        'thingGroupNames:esp32-fleet-dev-devices AND NOT shadow.reported.firmware.version:1.4.0',
      ),
    ).toBe(1);
    expect(await count('connectivity.connected:true')).toBe(1);
  });

  it('returns matching things with SearchIndex, their shadow as JSON text', async () => {
    const iot = iotClient(t.cloud);
    const result = await iot.send(
      new SearchIndexCommand({ queryString: 'shadow.reported.health.crashesSinceUpdate>0' }),
    );
    expect(result.things?.map(th => th.thingName)).toEqual([things[1]]);
    expect(JSON.parse(result.things![0].shadow!)).toMatchObject({
      reported: { firmware: { version: '1.4.0' } },
    });
    const paged = await iot.send(
      new SearchIndexCommand({
        queryString: 'shadow.reported.firmware.version:1.4.0',
        maxResults: 2,
      }),
    );
    expect(paged.things).toHaveLength(2);
    const rest = await iot.send(
      new SearchIndexCommand({
        queryString: 'shadow.reported.firmware.version:1.4.0',
        maxResults: 2,
        nextToken: paged.nextToken,
      }),
    );
    expect(rest.things).toHaveLength(1);
    expect(rest.nextToken).toBeUndefined();
  });

  it('aggregates managed fields with GetBucketsAggregation and refuses fields the index configuration does not declare', async () => {
    const iot = iotClient(t.cloud);
    const buckets = await iot.send(
      new GetBucketsAggregationCommand({
        queryString: 'thingName:*',
        aggregationField: 'connectivity.connected',
        bucketsAggregationType: { termsAggregation: { maxBuckets: 5 } },
      }),
    );
    expect(buckets.totalCount).toBe(4);
    expect(buckets.buckets).toEqual([
      { keyValue: 'false', count: 3 },
      { keyValue: 'true', count: 1 },
    ]);
    // The stack declares the shadow fields of docs/device-shadow.md as custom fields.
    const versions = await iot.send(
      new GetBucketsAggregationCommand({
        queryString: 'thingName:*',
        aggregationField: 'shadow.reported.firmware.version',
        bucketsAggregationType: { termsAggregation: { maxBuckets: 5 } },
      }),
    );
    expect(versions.buckets).toEqual([
      { keyValue: '1.4.0', count: 3 },
      { keyValue: '1.3.0', count: 1 },
    ]);
    const crashes = await iot.send(
      new GetStatisticsCommand({
        queryString: 'shadow.reported.firmware.version:1.4.0',
        aggregationField: 'shadow.reported.health.crashesSinceUpdate',
      }),
    );
    expect(crashes.statistics).toMatchObject({ count: 3, sum: 2, maximum: 2, minimum: 0 });
    // As on AWS, aggregations need a managed or custom field.
    await expect(
      iot.send(
        new GetBucketsAggregationCommand({
          queryString: 'thingName:*',
          aggregationField: 'shadow.reported.health.uptimeSeconds',
          bucketsAggregationType: { termsAggregation: { maxBuckets: 5 } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAggregationException' });
    await expect(
      iot.send(new GetStatisticsCommand({ queryString: 'thingName:a AND' })),
    ).rejects.toMatchObject({ name: 'InvalidQueryException' });
  });
});
