import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import {
  GetThingShadowCommand,
  ListNamedShadowsForThingCommand,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { connectDevice, provisionDevice, waitForInterrupt } from './local-cloud-harness';
import { iotDataClient, startIotTestCloud, type IotTestCloud } from './utils/iot-test-cloud';

// Device shadows with the official clients: the device on aws-iot-device-sdk-v2's iotshadow
// client over MQTT, the operator on @aws-sdk/client-iot-data-plane.
let t: IotTestCloud;
let alice: Awaited<ReturnType<typeof provisionDevice>>;
let bob: Awaited<ReturnType<typeof provisionDevice>>;

beforeAll(async () => {
  t = await startIotTestCloud();
  alice = await provisionDevice(t.cloud, 'A3000000000A');
  bob = await provisionDevice(t.cloud, 'B3000000000B');
}, 60_000);
afterAll(async () => {
  await t?.cloud.close();
});

function waitFor<T>(
  subscribe: (cb: (error?: unknown, response?: T) => void) => Promise<unknown>,
  what: string,
  ms = 10_000,
): { ready: Promise<unknown>; next: Promise<T> } {
  let ready!: Promise<unknown>;
  const next = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    ready = subscribe((_e, r) => r && (clearTimeout(timer), resolve(r)));
  });
  return { ready, next };
}

const decode = (payload: Uint8Array | undefined) =>
  JSON.parse(Buffer.from(payload ?? []).toString('utf8')) as Record<string, unknown>;

describe('device shadows', () => {
  it('takes reported state from the device and sends desired commands to it as a delta', async () => {
    const connection = await connectDevice(t.cloud, alice.certPem, alice.keyPem, alice.thingName);
    const shadow = new iotshadow.IotShadowClient(connection);
    const thingName = alice.thingName;
    try {
      const accepted = waitFor<iotshadow.model.UpdateShadowResponse>(
        cb => shadow.subscribeToUpdateShadowAccepted({ thingName }, mqtt.QoS.AtLeastOnce, cb),
        'update/accepted',
      );
      await accepted.ready;
      const reported = {
        firmware: { version: '1.3.0', slot: 'ota_0' },
        ota: { lastResult: 'SUCCEEDED', jobId: 'rel-1-canary' },
        health: { bootsSinceUpdate: 1, crashesSinceUpdate: 0, reconnects: 0, uptimeSeconds: 42 },
      };
      await shadow.publishUpdateShadow(
        { thingName, state: { reported }, clientToken: 'report-1' },
        mqtt.QoS.AtLeastOnce,
      );
      const reply = await accepted.next;
      expect(reply).toMatchObject({ clientToken: 'report-1', version: 1, state: { reported } });
      expect(
        (reply.metadata as { reported: { firmware: { version: { timestamp: number } } } }).reported
          .firmware.version.timestamp,
      ).toBeGreaterThan(1_700_000_000);

      // The operator sends a command through desired state; the device gets only the difference.
      const delta = waitFor<iotshadow.model.ShadowDeltaUpdatedEvent>(
        cb => shadow.subscribeToShadowDeltaUpdatedEvents({ thingName }, mqtt.QoS.AtLeastOnce, cb),
        'update/delta',
      );
      await delta.ready;
      const data = iotDataClient(t.cloud);
      const command = { id: 'cmd-7', name: 'reboot' };
      await data.send(
        new UpdateThingShadowCommand({
          thingName,
          payload: Buffer.from(
            JSON.stringify({ state: { desired: { command, firmware: { version: '1.3.0' } } } }),
          ),
        }),
      );
      const event = await delta.next;
      expect(event.state).toEqual({ command });
      expect(event.version).toBe(2);

      const { payload } = await data.send(new GetThingShadowCommand({ thingName }));
      const doc = decode(payload);
      expect(doc).toMatchObject({
        version: 2,
        state: { desired: { command }, reported, delta: { command } },
      });
    } finally {
      await connection.disconnect();
    }
  }, 30_000);

  it('rejects a stale version with 409 and echoes the clientToken', async () => {
    const connection = await connectDevice(t.cloud, alice.certPem, alice.keyPem, alice.thingName);
    const shadow = new iotshadow.IotShadowClient(connection);
    const thingName = alice.thingName;
    try {
      const rejected = waitFor<iotshadow.model.ErrorResponse>(
        cb => shadow.subscribeToUpdateShadowRejected({ thingName }, mqtt.QoS.AtLeastOnce, cb),
        'update/rejected',
      );
      await rejected.ready;
      await shadow.publishUpdateShadow(
        {
          thingName,
          state: { reported: { health: { reconnects: 1 } } },
          version: 1,
          clientToken: 'stale',
        },
        mqtt.QoS.AtLeastOnce,
      );
      expect(await rejected.next).toMatchObject({
        code: 409,
        message: 'Version conflict',
        clientToken: 'stale',
      });
    } finally {
      await connection.disconnect();
    }
  }, 30_000);

  it('refuses documents beyond the documented depth and size with the documented errors', async () => {
    const data = iotDataClient(t.cloud);
    const deep = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
    await expect(
      data.send(
        new UpdateThingShadowCommand({
          thingName: bob.thingName,
          payload: Buffer.from(JSON.stringify({ state: { reported: deep } })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
    const big = { blob: 'x'.repeat(9000) };
    await expect(
      data.send(
        new UpdateThingShadowCommand({
          thingName: bob.thingName,
          payload: Buffer.from(JSON.stringify({ state: { reported: big } })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'RequestEntityTooLargeException' });
    await expect(
      data.send(
        new UpdateThingShadowCommand({
          thingName: bob.thingName,
          payload: Buffer.from('{"stat": {}}'),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'Missing required node: state',
    });
    await expect(
      data.send(new GetThingShadowCommand({ thingName: bob.thingName })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('takes a shadow update published over HTTPS to the update topic', async () => {
    const data = iotDataClient(t.cloud);
    await data.send(
      new PublishCommand({
        topic: `$aws/things/${alice.thingName}/shadow/name/via-publish/update`,
        payload: Buffer.from(JSON.stringify({ state: { reported: { ok: true } } })),
      }),
    );
    const doc = decode(
      (
        await data.send(
          new GetThingShadowCommand({ thingName: alice.thingName, shadowName: 'via-publish' }),
        )
      ).payload,
    );
    expect(doc).toMatchObject({ version: 1, state: { reported: { ok: true } } });
  });

  it('keeps named shadows apart from the classic one', async () => {
    const data = iotDataClient(t.cloud);
    await data.send(
      new UpdateThingShadowCommand({
        thingName: bob.thingName,
        shadowName: 'ota',
        payload: Buffer.from(JSON.stringify({ state: { reported: { step: 'download' } } })),
      }),
    );
    const named = decode(
      (await data.send(new GetThingShadowCommand({ thingName: bob.thingName, shadowName: 'ota' })))
        .payload,
    );
    expect(named).toMatchObject({ version: 1, state: { reported: { step: 'download' } } });
    expect(
      (await data.send(new ListNamedShadowsForThingCommand({ thingName: bob.thingName }))).results,
    ).toEqual(['ota']);
    await expect(
      data.send(new GetThingShadowCommand({ thingName: bob.thingName })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it("denies another thing's shadow topics", async () => {
    const connection = await connectDevice(t.cloud, bob.certPem, bob.keyPem, bob.thingName);
    const sub = await connection.subscribe(
      `$aws/things/${alice.thingName}/shadow/update/delta`,
      mqtt.QoS.AtLeastOnce,
      () => {},
    );
    expect(sub.qos).toBe(128);
    const closed = waitForInterrupt(connection);
    void connection
      .publish(
        `$aws/things/${alice.thingName}/shadow/update`,
        JSON.stringify({ state: { desired: { command: { id: 'evil' } } } }),
        mqtt.QoS.AtLeastOnce,
      )
      .catch(() => {});
    await closed;
    await connection.disconnect().catch(() => {});
    const doc = decode(
      (await iotDataClient(t.cloud).send(new GetThingShadowCommand({ thingName: alice.thingName })))
        .payload,
    );
    expect(JSON.stringify(doc)).not.toContain('evil');
  }, 30_000);

  it('keeps shadows across a restart', async () => {
    const stateDir = dirname(t.cloud.configPath);
    const before = decode(
      (await iotDataClient(t.cloud).send(new GetThingShadowCommand({ thingName: alice.thingName })))
        .payload,
    );
    await t.cloud.close();
    t = await startIotTestCloud({ stateDir });
    const after = decode(
      (await iotDataClient(t.cloud).send(new GetThingShadowCommand({ thingName: alice.thingName })))
        .payload,
    );
    expect(after.state).toEqual(before.state);
    expect(after.version).toBe(before.version);
  }, 60_000);
});
