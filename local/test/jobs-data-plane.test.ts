import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateJobCommand } from '@aws-sdk/client-iot';
import {
  DescribeJobExecutionCommand,
  GetPendingJobExecutionsCommand,
  StartNextPendingJobExecutionCommand,
  UpdateJobExecutionCommand,
} from '@aws-sdk/client-iot-jobs-data-plane';
import { provisionDevice } from './local-cloud-harness';
import {
  iotClient,
  jobsDataClient,
  startIotTestCloud,
  type IotTestCloud,
} from './utils/iot-test-cloud';

// The HTTPS jobs data plane with @aws-sdk/client-iot-jobs-data-plane over mutual TLS: each call is
// authorized by the device certificate's IoT policies for the jobs actions on its own thing.
let t: IotTestCloud;
let alice: Awaited<ReturnType<typeof provisionDevice>>;
let bob: Awaited<ReturnType<typeof provisionDevice>>;

beforeAll(async () => {
  t = await startIotTestCloud();
  alice = await provisionDevice(t.cloud, 'A2000000000A');
  bob = await provisionDevice(t.cloud, 'B2000000000B');
  // The stack's device policy grants MQTT only; HTTPS devices need the jobs actions on their own thing.
  const { registry } = t.cloud;
  registry.putPolicy(
    'test-https-jobs',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'iot:GetPendingJobExecutions',
            'iot:StartNextPendingJobExecution',
            'iot:DescribeJobExecution',
            'iot:UpdateJobExecution',
          ],
          Resource: registry.arn('thing/${iot:Connection.Thing.ThingName}'),
        },
      ],
    }),
  );
  registry.attachPolicy(
    'test-https-jobs',
    registry.getCertificate(alice.certificateId)!.certificateArn,
  );
  registry.attachPolicy(
    'test-https-jobs',
    registry.getCertificate(bob.certificateId)!.certificateArn,
  );
  await iotClient(t.cloud).send(
    new CreateJobCommand({
      jobId: 'https-job',
      targets: [registry.arn(`thing/${alice.thingName}`)],
      document: JSON.stringify({ op: 'reboot' }),
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
    }),
  );
}, 60_000);
afterAll(async () => {
  await t?.cloud.close();
});

async function failure(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    return {
      name: (error as Error).name,
      status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
    };
  }
  throw new Error('the call succeeded but should have failed');
}

describe('HTTPS jobs data plane', () => {
  it("lists, starts, describes and updates the device's own execution", async () => {
    const client = jobsDataClient(t.cloud, alice.certPem, alice.keyPem);
    const pending = await client.send(
      new GetPendingJobExecutionsCommand({ thingName: alice.thingName }),
    );
    expect(pending.queuedJobs?.map(j => j.jobId)).toEqual(['https-job']);
    const started = await client.send(
      new StartNextPendingJobExecutionCommand({
        thingName: alice.thingName,
        statusDetails: { step: 'download' },
      }),
    );
    expect(started.execution).toMatchObject({
      jobId: 'https-job',
      thingName: alice.thingName,
      status: 'IN_PROGRESS',
      statusDetails: { step: 'download' },
      versionNumber: 2,
    });
    expect(JSON.parse(started.execution!.jobDocument!)).toEqual({ op: 'reboot' });
    expect(started.execution?.approximateSecondsBeforeTimedOut).toBeGreaterThan(1700);
    const described = await client.send(
      new DescribeJobExecutionCommand({
        thingName: alice.thingName,
        jobId: 'https-job',
        includeJobDocument: false,
      }),
    );
    expect(described.execution?.jobDocument).toBeUndefined();
    expect(
      await failure(
        client.send(
          new UpdateJobExecutionCommand({
            thingName: alice.thingName,
            jobId: 'https-job',
            status: 'SUCCEEDED',
            expectedVersion: 1,
          }),
        ),
      ),
    ).toMatchObject({ name: 'ConflictException', status: 409 });
    const updated = await client.send(
      new UpdateJobExecutionCommand({
        thingName: alice.thingName,
        jobId: 'https-job',
        status: 'SUCCEEDED',
        expectedVersion: 2,
        includeJobExecutionState: true,
      }),
    );
    expect(updated.executionState).toMatchObject({ status: 'SUCCEEDED', versionNumber: 3 });
    expect(
      await failure(
        client.send(
          new UpdateJobExecutionCommand({
            thingName: alice.thingName,
            jobId: 'https-job',
            status: 'FAILED',
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidStateTransitionException', status: 409 });
    expect(
      await failure(
        client.send(
          new DescribeJobExecutionCommand({ thingName: alice.thingName, jobId: 'no-such-job' }),
        ),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('refuses a certificate acting for another thing, and calls without a certificate', async () => {
    const asBob = jobsDataClient(t.cloud, bob.certPem, bob.keyPem);
    expect(
      await failure(asBob.send(new GetPendingJobExecutionsCommand({ thingName: alice.thingName }))),
    ).toMatchObject({ name: 'ForbiddenException', status: 403 });
    expect(
      await failure(
        asBob.send(
          new UpdateJobExecutionCommand({
            thingName: alice.thingName,
            jobId: 'https-job',
            status: 'FAILED',
          }),
        ),
      ),
    ).toMatchObject({ name: 'ForbiddenException', status: 403 });
    expect(
      (await asBob.send(new GetPendingJobExecutionsCommand({ thingName: bob.thingName })))
        .queuedJobs,
    ).toEqual([]);
    const { readFileSync } = await import('node:fs');
    const { Agent } = await import('node:https');
    const { IoTJobsDataPlaneClient } = await import('@aws-sdk/client-iot-jobs-data-plane');
    const anonymous = new IoTJobsDataPlaneClient({
      endpoint: t.cloud.config.endpoints.iotJobsData!,
      region: t.cloud.config.region,
      credentials: t.cloud.config.credentials,
      requestHandler: {
        httpsAgent: new Agent({ ca: readFileSync(t.cloud.config.mqtt.caFile, 'utf8') }),
      },
      maxAttempts: 1,
    });
    expect(
      await failure(
        anonymous.send(new GetPendingJobExecutionsCommand({ thingName: alice.thingName })),
      ),
    ).toMatchObject({ name: 'UnauthorizedException', status: 401 });
  });
});
