import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddThingToThingGroupCommand,
  CancelJobCommand,
  CreateJobCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  ListJobExecutionsForThingCommand,
  ListThingsInThingGroupCommand,
  RemoveThingFromThingGroupCommand,
  UpdateJobCommand,
} from '@aws-sdk/client-iot';
import { provisionDevice } from './local-cloud-harness';
import { iotClient, startIotTestCloud, type IotTestCloud } from './utils/iot-test-cloud';

// UpdateJob, DeleteJob (with force) and RemoveThingFromThingGroup through @aws-sdk/client-iot,
// with AWS's shapes and exception names.
let t: IotTestCloud;
let thing: string;
const arn = (resource: string) =>
  `arn:aws:iot:${t.cloud.config.region}:${t.cloud.config.accountId}:${resource}`;
const document = JSON.stringify({ operation: 'noop' });

beforeAll(async () => {
  t = await startIotTestCloud();
  thing = (await provisionDevice(t.cloud, 'AD0000000001')).thingName;
}, 60_000);
afterAll(async () => {
  await t?.cloud.close();
});

async function failure(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded but should have failed');
}

async function jobIdsOf(thingName: string): Promise<string[]> {
  const { executionSummaries } = await iotClient(t.cloud).send(
    new ListJobExecutionsForThingCommand({ thingName }),
  );
  return (executionSummaries ?? []).map(s => s.jobId!);
}

describe('UpdateJob', () => {
  it('changes the settings AWS lets a job change, and validates them as CreateJob does', async () => {
    const iot = iotClient(t.cloud);
    await iot.send(
      new CreateJobCommand({
        jobId: 'update-me',
        targets: [arn(`thing/${thing}`)],
        document,
        description: 'before',
      }),
    );
    const before = (await iot.send(new DescribeJobCommand({ jobId: 'update-me' }))).job!;
    await iot.send(
      new UpdateJobCommand({
        jobId: 'update-me',
        description: 'after',
        timeoutConfig: { inProgressTimeoutInMinutes: 30 },
        abortConfig: {
          criteriaList: [
            {
              failureType: 'FAILED',
              action: 'CANCEL',
              thresholdPercentage: 50,
              minNumberOfExecutedThings: 1,
            },
          ],
        },
        jobExecutionsRolloutConfig: { maximumPerMinute: 100 },
      }),
    );
    const after = (await iot.send(new DescribeJobCommand({ jobId: 'update-me' }))).job!;
    expect(after).toMatchObject({
      description: 'after',
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
      abortConfig: { criteriaList: [{ failureType: 'FAILED', thresholdPercentage: 50 }] },
      jobExecutionsRolloutConfig: { maximumPerMinute: 100 },
      status: 'IN_PROGRESS',
    });
    expect(after.lastUpdatedAt!.getTime()).toBeGreaterThanOrEqual(before.lastUpdatedAt!.getTime());
    // Fields left out keep their value.
    await iot.send(new UpdateJobCommand({ jobId: 'update-me', description: 'again' }));
    expect((await iot.send(new DescribeJobCommand({ jobId: 'update-me' }))).job).toMatchObject({
      description: 'again',
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
    });

    expect(
      await failure(
        iot.send(
          new UpdateJobCommand({
            jobId: 'update-me',
            abortConfig: {
              criteriaList: [
                {
                  failureType: 'FAILED',
                  action: 'CANCEL',
                  thresholdPercentage: 101,
                  minNumberOfExecutedThings: 1,
                },
              ],
            },
          }),
        ),
      ),
    ).toEqual({ name: 'InvalidRequestException', status: 400 });
    expect(
      await failure(iot.send(new UpdateJobCommand({ jobId: 'no-such-job', description: 'x' }))),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
  });
});

describe('DeleteJob', () => {
  it('refuses an IN_PROGRESS job without force, deletes it and its executions with force', async () => {
    const iot = iotClient(t.cloud);
    await iot.send(
      new CreateJobCommand({ jobId: 'delete-me', targets: [arn(`thing/${thing}`)], document }),
    );
    expect(await jobIdsOf(thing)).toContain('delete-me');
    expect(await failure(iot.send(new DeleteJobCommand({ jobId: 'delete-me' })))).toEqual({
      name: 'InvalidStateTransitionException',
      status: 409,
    });

    await iot.send(new DeleteJobCommand({ jobId: 'delete-me', force: true }));
    expect(await failure(iot.send(new DescribeJobCommand({ jobId: 'delete-me' })))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(
      await failure(
        iot.send(new DescribeJobExecutionCommand({ jobId: 'delete-me', thingName: thing })),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
    expect(await jobIdsOf(thing)).not.toContain('delete-me');
    expect(await failure(iot.send(new DeleteJobCommand({ jobId: 'delete-me' })))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });

    // After deletion the id may be used again (API_DeleteJob).
    const again = await iot.send(
      new CreateJobCommand({ jobId: 'delete-me', targets: [arn(`thing/${thing}`)], document }),
    );
    expect(again.jobId).toBe('delete-me');
  });

  it('deletes a CANCELED job without force, and the deletion survives a restart', async () => {
    const iot = iotClient(t.cloud);
    await iot.send(
      new CreateJobCommand({
        jobId: 'cancel-then-delete',
        targets: [arn(`thing/${thing}`)],
        document,
      }),
    );
    await iot.send(new CancelJobCommand({ jobId: 'cancel-then-delete' }));
    await iot.send(new DeleteJobCommand({ jobId: 'cancel-then-delete' }));

    const stateDir = dirname(t.cloud.configPath);
    await t.cloud.close();
    t = await startIotTestCloud({ stateDir });
    expect(
      await failure(
        iotClient(t.cloud).send(new DescribeJobCommand({ jobId: 'cancel-then-delete' })),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
    expect(await jobIdsOf(thing)).not.toContain('cancel-then-delete');
  }, 60_000);
});

describe('RemoveThingFromThingGroup', () => {
  it('takes the thing out of the group; its QUEUED execution of a CONTINUOUS job becomes REMOVED', async () => {
    const iot = iotClient(t.cloud);
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'leavers' }));
    await iot.send(
      new AddThingToThingGroupCommand({ thingGroupName: 'leavers', thingName: thing }),
    );
    await iot.send(
      new CreateJobCommand({
        jobId: 'continuous-leavers',
        targets: [arn('thinggroup/leavers')],
        targetSelection: 'CONTINUOUS',
        document,
      }),
    );
    const queued = await iot.send(
      new DescribeJobExecutionCommand({ jobId: 'continuous-leavers', thingName: thing }),
    );
    expect(queued.execution?.status).toBe('QUEUED');

    await iot.send(
      new RemoveThingFromThingGroupCommand({
        thingGroupArn: arn('thinggroup/leavers'),
        thingArn: arn(`thing/${thing}`),
      }),
    );
    const members = await iot.send(
      new ListThingsInThingGroupCommand({ thingGroupName: 'leavers' }),
    );
    expect(members.things).not.toContain(thing);
    const removed = await iot.send(
      new DescribeJobExecutionCommand({ jobId: 'continuous-leavers', thingName: thing }),
    );
    expect(removed.execution?.status).toBe('REMOVED');

    // Removing a thing that is not a member changes nothing and succeeds.
    await iot.send(
      new RemoveThingFromThingGroupCommand({ thingGroupName: 'leavers', thingName: thing }),
    );
    expect(
      await failure(
        iot.send(
          new RemoveThingFromThingGroupCommand({
            thingGroupName: 'no-such-group',
            thingName: thing,
          }),
        ),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
    expect(
      await failure(
        iot.send(
          new RemoveThingFromThingGroupCommand({ thingGroupName: 'leavers', thingName: 'nobody' }),
        ),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
  });
});
