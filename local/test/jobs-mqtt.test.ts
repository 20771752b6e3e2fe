import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
import {
  AddThingToThingGroupCommand,
  CancelJobCommand,
  CreateJobCommand,
  CreateThingGroupCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  ListJobExecutionsForJobCommand,
} from '@aws-sdk/client-iot';
import { connectDevice, provisionDevice, waitForInterrupt } from './local-cloud-harness';
import { iotClient, startIotTestCloud, type IotTestCloud } from './utils/iot-test-cloud';
import { JobsDevice } from './utils/jobs-device';

// Jobs end to end with the official clients only: the worker's @aws-sdk/client-iot on the control
// plane, devices on aws-iot-device-sdk-v2's iotjobs client over MQTT with mutual TLS.
let t: IotTestCloud;
type Device = Awaited<ReturnType<typeof provisionDevice>>;
const devices: Record<string, Device> = {};
const connected: JobsDevice[] = [];

beforeAll(async () => {
  t = await startIotTestCloud();
  for (const [name, serial] of [
    ['alice', 'A0000000000A'],
    ['bob', 'B0000000000B'],
    ['carol', 'C0000000000C'],
    ['dave', 'D0000000000D'],
    ['eve', 'E0000000000E'],
  ] as const) {
    devices[name] = await provisionDevice(t.cloud, serial);
  }
}, 60_000);
afterAll(async () => {
  for (const d of connected) await d.close();
  await t?.cloud.close();
});

async function device(name: string): Promise<JobsDevice> {
  const d = await JobsDevice.connect(t.cloud, devices[name]);
  connected.push(d);
  return d;
}

async function groupOf(group: string, members: string[]): Promise<string> {
  const iot = iotClient(t.cloud);
  const { thingGroupArn } = await iot.send(new CreateThingGroupCommand({ thingGroupName: group }));
  for (const m of members)
    await iot.send(
      new AddThingToThingGroupCommand({ thingGroupName: group, thingName: devices[m].thingName }),
    );
  return thingGroupArn!;
}

const document = JSON.stringify({ operation: 'ota', version: '1.4.0' });

describe('jobs over MQTT with the official clients', () => {
  it('reaches every member of a thing group; succeeded, failed, timed out and rejected are counted by DescribeJob', async () => {
    const iot = iotClient(t.cloud);
    const groupArn = await groupOf('wave-1', ['alice', 'bob', 'carol', 'dave']);
    const [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map(device),
    );
    await iot.send(
      new CreateJobCommand({
        jobId: 'ota-wave-1',
        targets: [groupArn],
        document,
        timeoutConfig: { inProgressTimeoutInMinutes: 1 },
      }),
    );
    for (const d of [alice, bob, carol, dave]) {
      const event = await d.notifiedOf('ota-wave-1');
      expect(event.execution).toMatchObject({
        jobId: 'ota-wave-1',
        thingName: d.thingName,
        status: 'QUEUED',
        jobDocument: JSON.parse(document),
      });
    }

    for (const d of [alice, bob, carol]) {
      const started = await d.startNext();
      expect('accepted' in started && started.accepted.execution).toMatchObject({
        jobId: 'ota-wave-1',
        status: 'IN_PROGRESS',
        versionNumber: 2,
      });
    }
    expect(
      await alice.update('ota-wave-1', {
        status: 'SUCCEEDED' as never,
        statusDetails: { result: 'installed' },
        includeJobExecutionState: true,
      }),
    ).toMatchObject({
      accepted: { executionState: { status: 'SUCCEEDED', statusDetails: { result: 'installed' } } },
    });
    expect(
      await bob.update('ota-wave-1', {
        status: 'FAILED' as never,
        statusDetails: { reason: 'SIGNATURE_INVALID' },
      }),
    ).toHaveProperty('accepted');
    expect(await dave.update('ota-wave-1', { status: 'REJECTED' as never })).toHaveProperty(
      'accepted',
    );
    // carol never reports: the in-progress timer (1 minute) times her out.
    t.advance(61_000);

    const { job } = await iot.send(new DescribeJobCommand({ jobId: 'ota-wave-1' }));
    expect(job?.status).toBe('COMPLETED');
    expect(job?.jobProcessDetails).toMatchObject({
      numberOfSucceededThings: 1,
      numberOfFailedThings: 1,
      numberOfTimedOutThings: 1,
      numberOfRejectedThings: 1,
      numberOfQueuedThings: 0,
      numberOfInProgressThings: 0,
    });
    const listed = await iot.send(new ListJobExecutionsForJobCommand({ jobId: 'ota-wave-1' }));
    expect(listed.executionSummaries?.map(s => s.jobExecutionSummary?.status).sort()).toEqual([
      'FAILED',
      'REJECTED',
      'SUCCEEDED',
      'TIMED_OUT',
    ]);
    const bobs = await iot.send(
      new DescribeJobExecutionCommand({ jobId: 'ota-wave-1', thingName: devices.bob.thingName }),
    );
    expect(bobs.execution).toMatchObject({
      status: 'FAILED',
      statusDetails: { detailsMap: { reason: 'SIGNATURE_INVALID' } },
    });
    // A terminal execution cannot change again.
    expect(await bob.update('ota-wave-1', { status: 'SUCCEEDED' as never })).toMatchObject({
      rejected: { code: 'InvalidStateTransition', executionState: { status: 'FAILED' } },
    });
  }, 60_000);

  it('rejects an update with a stale expectedVersion as VersionMismatch with the current state', async () => {
    const iot = iotClient(t.cloud);
    const alice = await device('alice');
    await iot.send(
      new CreateJobCommand({
        jobId: 'versioned',
        targets: [
          `arn:aws:iot:${t.cloud.config.region}:${t.cloud.config.accountId}:thing/${devices.alice.thingName}`,
        ],
        document,
      }),
    );
    await alice.notifiedOf('versioned');
    const started = await alice.startNext();
    const version = 'accepted' in started ? started.accepted.execution!.versionNumber! : -1;
    const stale = await alice.update('versioned', {
      status: 'IN_PROGRESS' as never,
      expectedVersion: version - 1,
    });
    expect(stale).toMatchObject({
      rejected: {
        code: 'VersionMismatch',
        executionState: { status: 'IN_PROGRESS', versionNumber: version },
      },
    });
    expect(
      await alice.update('versioned', { status: 'SUCCEEDED' as never, expectedVersion: version }),
    ).toHaveProperty('accepted');
  }, 30_000);

  it('cancels the remaining executions when the abort criteria are met', async () => {
    const iot = iotClient(t.cloud);
    const groupArn = await groupOf('wave-abort', ['alice', 'bob', 'carol', 'dave']);
    const [alice, bob] = await Promise.all(['alice', 'bob'].map(device));
    await iot.send(
      new CreateJobCommand({
        jobId: 'abortable',
        targets: [groupArn],
        document,
        abortConfig: {
          criteriaList: [
            {
              failureType: 'FAILED',
              action: 'CANCEL',
              thresholdPercentage: 50,
              minNumberOfExecutedThings: 2,
            },
          ],
        },
      }),
    );
    await alice.notifiedOf('abortable');
    await bob.notifiedOf('abortable');
    expect(await alice.update('abortable', { status: 'FAILED' as never })).toHaveProperty(
      'accepted',
    );
    expect(await bob.update('abortable', { status: 'FAILED' as never })).toHaveProperty('accepted');
    const { job } = await iot.send(new DescribeJobCommand({ jobId: 'abortable' }));
    expect(job?.status).toBe('CANCELED');
    expect(job?.jobProcessDetails).toMatchObject({
      numberOfFailedThings: 2,
      numberOfCanceledThings: 2,
    });
  }, 30_000);

  it('a CONTINUOUS job reaches a thing added to the group afterwards', async () => {
    const iot = iotClient(t.cloud);
    const groupArn = await groupOf('continuous', ['alice']);
    const eve = await device('eve');
    await iot.send(
      new CreateJobCommand({
        jobId: 'always',
        targets: [groupArn],
        document,
        targetSelection: 'CONTINUOUS',
      }),
    );
    await iot.send(
      new AddThingToThingGroupCommand({
        thingGroupName: 'continuous',
        thingName: devices.eve.thingName,
      }),
    );
    const event = await eve.notifiedOf('always');
    expect(event.execution?.status).toBe('QUEUED');
    await iot.send(new CancelJobCommand({ jobId: 'always' }));
  }, 30_000);

  it('answers get, $next/get and refuses invalid requests with the documented codes', async () => {
    const iot = iotClient(t.cloud);
    const dave = await device('dave');
    const thingName = devices.dave.thingName;
    await iot.send(
      new CreateJobCommand({
        jobId: 'listing',
        targets: [
          `arn:aws:iot:${t.cloud.config.region}:${t.cloud.config.accountId}:thing/${thingName}`,
        ],
        document,
      }),
    );
    await dave.notifiedOf('listing');
    const pending = new Promise<iotjobs.model.GetPendingJobExecutionsResponse>(
      resolve =>
        void dave.jobs.subscribeToGetPendingJobExecutionsAccepted(
          { thingName },
          mqtt.QoS.AtLeastOnce,
          (_e, r) => r && resolve(r),
        ),
    );
    await new Promise(r => setTimeout(r, 100));
    await dave.jobs.publishGetPendingJobExecutions(
      { thingName, clientToken: 'list-1' },
      mqtt.QoS.AtLeastOnce,
    );
    const listed = await pending;
    expect(listed.clientToken).toBe('list-1');
    expect(listed.queuedJobs?.map(j => j.jobId)).toContain('listing');
    const described = new Promise<iotjobs.model.DescribeJobExecutionResponse>(
      resolve =>
        void dave.jobs.subscribeToDescribeJobExecutionAccepted(
          { thingName, jobId: '$next' },
          mqtt.QoS.AtLeastOnce,
          (_e, r) => r && resolve(r),
        ),
    );
    await new Promise(r => setTimeout(r, 100));
    await dave.jobs.publishDescribeJobExecution(
      { thingName, jobId: '$next', includeJobDocument: true },
      mqtt.QoS.AtLeastOnce,
    );
    expect((await described).execution).toMatchObject({
      status: 'QUEUED',
      jobDocument: JSON.parse(document),
    });
    const tooMany = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(
      await dave.update('listing', { status: 'IN_PROGRESS' as never, statusDetails: tooMany }),
    ).toMatchObject({ rejected: { code: 'InvalidRequest' } });
    expect(await dave.update('listing', { status: 'QUEUED' as never })).toMatchObject({
      rejected: { code: 'InvalidRequest' },
    });
    expect(await dave.update('no-such-job', { status: 'SUCCEEDED' as never })).toMatchObject({
      rejected: { code: 'ResourceNotFound' },
    });
    const bad = new Promise<iotjobs.model.RejectedErrorResponse>(
      resolve =>
        void dave.jobs.subscribeToUpdateJobExecutionRejected(
          { thingName, jobId: 'listing' },
          mqtt.QoS.AtLeastOnce,
          (_e, r) => r && r.code === 'InvalidJson' && resolve(r),
        ),
    );
    await new Promise(r => setTimeout(r, 100));
    await dave.connection.publish(
      `$aws/things/${thingName}/jobs/listing/update`,
      '{not json',
      mqtt.QoS.AtLeastOnce,
    );
    expect((await bad).code).toBe('InvalidJson');
  }, 30_000);

  it("a device can never read or update another thing's execution", async () => {
    const iot = iotClient(t.cloud);
    await iot.send(
      new CreateJobCommand({
        jobId: 'alice-only',
        targets: [
          `arn:aws:iot:${t.cloud.config.region}:${t.cloud.config.accountId}:thing/${devices.alice.thingName}`,
        ],
        document,
      }),
    );
    const bob = await connectDevice(
      t.cloud,
      devices.bob.certPem,
      devices.bob.keyPem,
      devices.bob.thingName,
    );
    const sub = await bob.subscribe(
      `$aws/things/${devices.alice.thingName}/jobs/alice-only/get/accepted`,
      mqtt.QoS.AtLeastOnce,
      () => {},
    );
    expect(sub.qos).toBe(128);
    const closed = waitForInterrupt(bob);
    void bob
      .publish(
        `$aws/things/${devices.alice.thingName}/jobs/alice-only/update`,
        JSON.stringify({ status: 'SUCCEEDED' }),
        mqtt.QoS.AtLeastOnce,
      )
      .catch(() => {});
    await closed;
    await bob.disconnect().catch(() => {});
    const { execution } = await iot.send(
      new DescribeJobExecutionCommand({ jobId: 'alice-only', thingName: devices.alice.thingName }),
    );
    expect(execution?.status).toBe('QUEUED');
  }, 30_000);
});
