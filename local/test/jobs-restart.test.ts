import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CreateJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeJobTemplateCommand,
} from '@aws-sdk/client-iot';
import { provisionDevice } from './local-cloud-harness';
import { iotClient, startIotTestCloud } from './utils/iot-test-cloud';
import { JobsDevice } from './utils/jobs-device';

describe('jobs across a restart', () => {
  it('keeps jobs, executions, versions and timers; devices carry on where they stopped', async () => {
    let t = await startIotTestCloud();
    const alice = await provisionDevice(t.cloud, 'A5000000000A');
    const bob = await provisionDevice(t.cloud, 'B5000000000B');
    const target = (name: string) => t.cloud.registry.arn(`thing/${name}`);
    await iotClient(t.cloud).send(
      new CreateJobCommand({
        jobId: 'survivor',
        targets: [target(alice.thingName), target(bob.thingName)],
        document: '{"op":"ota"}',
        timeoutConfig: { inProgressTimeoutInMinutes: 5 },
      }),
    );
    let device = await JobsDevice.connect(t.cloud, alice);
    const started = await device.startNext();
    expect(started).toMatchObject({
      accepted: { execution: { jobId: 'survivor', versionNumber: 2 } },
    });
    await device.close();
    const stateDir = dirname(t.cloud.configPath);
    await t.cloud.close();

    t = await startIotTestCloud({ stateDir });
    try {
      const iot = iotClient(t.cloud);
      expect(
        (await iot.send(new DescribeJobCommand({ jobId: 'survivor' }))).job?.jobProcessDetails,
      ).toMatchObject({ numberOfInProgressThings: 1, numberOfQueuedThings: 1 });
      // The stack's templates are not duplicated by the second apply.
      expect(
        (await iot.send(new DescribeJobTemplateCommand({ jobTemplateId: 'esp32-fleet-dev-ota' })))
          .jobTemplateId,
      ).toBe('esp32-fleet-dev-ota');
      device = await JobsDevice.connect(t.cloud, alice);
      expect(
        await device.update('survivor', { status: 'IN_PROGRESS' as never, expectedVersion: 2 }),
      ).toHaveProperty('accepted');
      await device.close();
      // The in-progress timer survived too.
      t.advance(6 * 60_000);
      const { execution } = await iot.send(
        new DescribeJobExecutionCommand({ jobId: 'survivor', thingName: alice.thingName }),
      );
      expect(execution?.status).toBe('TIMED_OUT');
    } finally {
      await t.cloud.close();
    }
  }, 90_000);
});
