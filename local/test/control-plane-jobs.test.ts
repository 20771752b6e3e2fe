import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqtt } from 'aws-iot-device-sdk-v2';
import {
  AddThingToThingGroupCommand,
  CancelJobCommand,
  CancelJobExecutionCommand,
  CreateJobCommand,
  CreateThingGroupCommand,
  DescribeEndpointCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  GetJobDocumentCommand,
  ListJobExecutionsForJobCommand,
  ListJobsCommand,
  ListThingsCommand,
  ListThingsInThingGroupCommand,
} from '@aws-sdk/client-iot';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { provisionDevice } from './local-cloud-harness';
import { iotClient, startIotTestCloud, type IotTestCloud } from './utils/iot-test-cloud';
import { JobsDevice } from './utils/jobs-device';

// The control plane as the worker calls it (@aws-sdk/client-iot, SigV4 with local-cloud.json's
// credentials), with the stack's job templates and the local S3 for presigned URLs.
let t: IotTestCloud;
let alice: Awaited<ReturnType<typeof provisionDevice>>;
let bucket: string;
const thingArn = (name: string) =>
  `arn:aws:iot:${t.cloud.config.region}:${t.cloud.config.accountId}:thing/${name}`;

beforeAll(async () => {
  t = await startIotTestCloud({ withS3: true });
  alice = await provisionDevice(t.cloud, 'A1000000000A');
  const block = t.cloud.applied.blocks.find(b => b.type === 'aws_s3_bucket')!;
  bucket = String(t.cloud.applied.attributes.get(block.address)!.bucket);
}, 60_000);
afterAll(async () => {
  await t?.cloud.close();
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the call succeeded but should have failed');
}

describe('IoT control plane', () => {
  it('refuses requests not signed with the configured credentials, with AWS error names', async () => {
    const wrongSecret = iotClient(t.cloud, {
      accessKeyId: t.cloud.config.credentials.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    expect(await failure(wrongSecret.send(new ListJobsCommand({})))).toMatchObject({
      name: 'InvalidSignatureException',
      status: 403,
    });
    const unknownKey = iotClient(t.cloud, {
      accessKeyId: 'AKIAUNKNOWN000000000',
      secretAccessKey: 'x',
    });
    expect(await failure(unknownKey.send(new ListJobsCommand({})))).toMatchObject({
      name: 'UnrecognizedClientException',
      status: 403,
    });
    const unsigned = await fetch(`${t.cloud.config.endpoints.iot}/jobs`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('answers unknown resources and bad input with ResourceNotFoundException and InvalidRequestException', async () => {
    const iot = iotClient(t.cloud);
    expect(await failure(iot.send(new DescribeJobCommand({ jobId: 'nope' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(
      await failure(iot.send(new DescribeThingCommand({ thingName: 'nobody' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    const bad = await failure(
      iot.send(
        new CreateJobCommand({
          jobId: 'bad',
          targets: [thingArn(alice.thingName)],
          document: '{}',
          jobExecutionsRolloutConfig: { maximumPerMinute: 5000 },
        }),
      ),
    );
    expect(bad).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(bad.message).toMatch(/maximumPerMinute/);
    expect(
      await failure(
        iot.send(
          new CreateJobCommand({
            jobId: 'to-nobody',
            targets: [thingArn('nobody')],
            document: '{}',
          }),
        ),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('is idempotent on jobId: the same request returns the job, a different one is ResourceAlreadyExistsException', async () => {
    const iot = iotClient(t.cloud);
    const input = {
      jobId: 'idem-1',
      targets: [thingArn(alice.thingName)],
      document: '{"a":1}',
      description: 'first',
    };
    const first = await iot.send(new CreateJobCommand(input));
    const again = await iot.send(new CreateJobCommand(input));
    expect(again.jobArn).toBe(first.jobArn);
    expect(
      await failure(iot.send(new CreateJobCommand({ ...input, description: 'second' }))),
    ).toMatchObject({ name: 'ResourceAlreadyExistsException', status: 409 });
    expect((await iot.send(new GetJobDocumentCommand({ jobId: 'idem-1' }))).document).toBe(
      '{"a":1}',
    );
    expect(
      (await iot.send(new ListJobsCommand({}))).jobs?.filter(j => j.jobId === 'idem-1'),
    ).toHaveLength(1);
  });

  it('creates the job templates the stack declares, and jobs take their settings from jobTemplateArn', async () => {
    const iot = iotClient(t.cloud);
    const template = await iot.send(
      new DescribeJobTemplateCommand({ jobTemplateId: 'esp32-fleet-dev-ota' }),
    );
    expect(template.jobExecutionsRolloutConfig?.maximumPerMinute).toBeGreaterThan(0);
    expect(template.abortConfig?.criteriaList?.[0]).toMatchObject({
      action: 'CANCEL',
      failureType: 'ALL',
    });
    await iot.send(
      new CreateJobCommand({
        jobId: 'from-template',
        targets: [thingArn(alice.thingName)],
        document: '{"x":1}',
        jobTemplateArn: template.jobTemplateArn,
      }),
    );
    const { job } = await iot.send(new DescribeJobCommand({ jobId: 'from-template' }));
    expect(job?.jobTemplateArn).toBe(template.jobTemplateArn);
    expect(job?.jobExecutionsRolloutConfig).toEqual(template.jobExecutionsRolloutConfig);
    expect(job?.timeoutConfig).toEqual(template.timeoutConfig);
  });

  it('replaces the presigned-URL placeholder with a local S3 URL that expires as presignedUrlConfig says', async () => {
    const s3 = new S3Client({
      endpoint: t.cloud.config.endpoints.s3!,
      region: t.cloud.config.region,
      credentials: t.cloud.config.credentials,
      forcePathStyle: true,
    });
    const firmware = Buffer.from('firmware image bytes');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'releases/app 1.bin', Body: firmware }),
    );
    const device = await JobsDevice.connect(t.cloud, alice);
    try {
      const iot = iotClient(t.cloud);
      const document = JSON.stringify({
        firmware: {
          url: `\${aws:iot:s3-presigned-url-v2:https://s3.${t.cloud.config.region}.amazonaws.com/${bucket}/releases/app%201.bin}`,
        },
      });
      await iot.send(
        new CreateJobCommand({
          jobId: 'presigned',
          targets: [thingArn(alice.thingName)],
          document,
          presignedUrlConfig: {
            roleArn: 'arn:aws:iam::000000000000:role/presign',
            expiresInSec: 120,
          },
        }),
      );
      for (;;) {
        const started = await device.startNext();
        if (!('accepted' in started)) throw new Error('start-next rejected');
        const execution = started.accepted.execution!;
        if (execution.jobId !== 'presigned') {
          await device.update(execution.jobId!, { status: 'SUCCEEDED' as never });
          continue;
        }
        const url = (execution.jobDocument as { firmware: { url: string } }).firmware.url;
        expect(
          url.startsWith(`${t.cloud.config.endpoints.s3}/${bucket}/releases/app%201.bin?`),
        ).toBe(true);
        expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('120');
        expect(Buffer.from(await (await fetch(url)).arrayBuffer())).toEqual(firmware);
        break;
      }
      // GetJobDocument returns the document as stored, with the placeholder.
      expect((await iot.send(new GetJobDocumentCommand({ jobId: 'presigned' }))).document).toBe(
        document,
      );
    } finally {
      await device.close();
    }
  }, 30_000);

  it('publishes job execution events on $aws/events when the stack enables them', async () => {
    const { registry } = t.cloud;
    const monitor = await provisionDevice(t.cloud, 'F0000000000F');
    registry.putPolicy(
      'test-events-monitor',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['iot:Subscribe', 'iot:Receive'],
            Resource: [
              registry.arn('topicfilter/$aws/events/*'),
              registry.arn('topic/$aws/events/*'),
            ],
          },
        ],
      }),
    );
    registry.attachPolicy(
      'test-events-monitor',
      registry.getCertificate(monitor.certificateId)!.certificateArn,
    );
    // One connection per client id (a second one would take over the first, as on AWS).
    const device = await JobsDevice.connect(t.cloud, monitor);
    const events: { topic: string; body: Record<string, unknown> }[] = [];
    await device.connection.subscribe('$aws/events/#', mqtt.QoS.AtLeastOnce, (topic, payload) =>
      events.push({ topic, body: JSON.parse(Buffer.from(payload).toString()) }),
    );
    try {
      await iotClient(t.cloud).send(
        new CreateJobCommand({
          jobId: 'evented',
          targets: [thingArn(monitor.thingName)],
          document: '{}',
        }),
      );
      await device.notifiedOf('evented');
      await device.update('evented', { status: 'SUCCEEDED' as never });
      await expect
        .poll(() => events.map(e => e.topic))
        .toEqual(
          expect.arrayContaining([
            '$aws/events/jobExecution/evented/succeeded',
            '$aws/events/job/evented/completed',
          ]),
        );
      const succeeded = events.find(e => e.topic.endsWith('/succeeded'))!.body;
      expect(succeeded).toMatchObject({
        eventType: 'JOB_EXECUTION',
        operation: 'succeeded',
        jobId: 'evented',
        thingArn: thingArn(monitor.thingName),
        status: 'SUCCEEDED',
      });
    } finally {
      await device.close();
    }
  }, 30_000);

  it('a job for a parent group reaches the things of its child groups', async () => {
    const iot = iotClient(t.cloud);
    const parent = await iot.send(new CreateThingGroupCommand({ thingGroupName: 'region-eu' }));
    await iot.send(
      new CreateThingGroupCommand({ thingGroupName: 'site-berlin', parentGroupName: 'region-eu' }),
    );
    await iot.send(
      new AddThingToThingGroupCommand({
        thingGroupName: 'site-berlin',
        thingName: alice.thingName,
      }),
    );
    await iot.send(
      new CreateJobCommand({ jobId: 'regional', targets: [parent.thingGroupArn!], document: '{}' }),
    );
    const listed = await iot.send(new ListJobExecutionsForJobCommand({ jobId: 'regional' }));
    expect(listed.executionSummaries?.map(e => e.thingArn)).toEqual([thingArn(alice.thingName)]);
    expect(
      (
        await iot.send(
          new ListThingsInThingGroupCommand({ thingGroupName: 'region-eu', recursive: true }),
        )
      ).things,
    ).toEqual([alice.thingName]);
    expect(
      (await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'region-eu' }))).things,
    ).toEqual([]);
  });

  it('cancels one execution (IN_PROGRESS only with force) and a whole job with force', async () => {
    const iot = iotClient(t.cloud);
    const device = await JobsDevice.connect(t.cloud, alice);
    try {
      await iot.send(
        new CreateJobCommand({
          jobId: 'cancel-me',
          targets: [thingArn(alice.thingName)],
          document: '{}',
        }),
      );
      for (;;) {
        const started = await device.startNext();
        const execution = 'accepted' in started ? started.accepted.execution : undefined;
        if (!execution) throw new Error('no execution to start');
        if (execution.jobId === 'cancel-me') break;
        await device.update(execution.jobId!, { status: 'SUCCEEDED' as never });
      }
      expect(
        await failure(
          iot.send(
            new CancelJobExecutionCommand({ jobId: 'cancel-me', thingName: alice.thingName }),
          ),
        ),
      ).toMatchObject({ name: 'InvalidStateTransitionException', status: 409 });
      expect(
        await failure(
          iot.send(
            new CancelJobExecutionCommand({
              jobId: 'cancel-me',
              thingName: alice.thingName,
              force: true,
              expectedVersion: 1,
            }),
          ),
        ),
      ).toMatchObject({ name: 'VersionConflictException', status: 409 });
      await iot.send(
        new CancelJobExecutionCommand({
          jobId: 'cancel-me',
          thingName: alice.thingName,
          force: true,
        }),
      );
      const { execution } = await iot.send(
        new DescribeJobExecutionCommand({ jobId: 'cancel-me', thingName: alice.thingName }),
      );
      expect(execution).toMatchObject({ status: 'CANCELED', forceCanceled: true });
      expect(await device.update('cancel-me', { status: 'SUCCEEDED' as never })).toMatchObject({
        rejected: { code: 'InvalidStateTransition' },
      });
      // Its only execution ended, so the job is COMPLETED: there is nothing left to cancel.
      expect((await iot.send(new DescribeJobCommand({ jobId: 'cancel-me' }))).job?.status).toBe(
        'COMPLETED',
      );
      expect(await failure(iot.send(new CancelJobCommand({ jobId: 'cancel-me' })))).toMatchObject({
        name: 'InvalidRequestException',
      });
      await iot.send(
        new CreateJobCommand({
          jobId: 'cancel-later',
          targets: [thingArn(alice.thingName)],
          document: '{}',
        }),
      );
      const canceled = await iot.send(
        new CancelJobCommand({ jobId: 'cancel-later', force: true, comment: 'stop' }),
      );
      expect(canceled.jobId).toBe('cancel-later');
      const { job } = await iot.send(new DescribeJobCommand({ jobId: 'cancel-later' }));
      expect(job).toMatchObject({ status: 'CANCELED', comment: 'stop', forceCanceled: true });
      expect(job?.jobProcessDetails?.numberOfCanceledThings).toBe(1);
    } finally {
      await device.close();
    }
  }, 30_000);

  it('answers the registry calls the worker makes', async () => {
    const iot = iotClient(t.cloud);
    const thing = await iot.send(new DescribeThingCommand({ thingName: alice.thingName }));
    expect(thing).toMatchObject({
      thingName: alice.thingName,
      thingArn: thingArn(alice.thingName),
    });
    const group =
      thing.thingName &&
      (await iot.send(
        new ListThingsInThingGroupCommand({ thingGroupName: 'esp32-fleet-dev-devices' }),
      ));
    expect(group && group.things).toContain(alice.thingName);
    const listed = await iot.send(new ListThingsCommand({ maxResults: 1 }));
    expect(listed.things).toHaveLength(1);
    expect(listed.nextToken).toBeDefined();
    const described = await iot.send(
      new DescribeThingGroupCommand({ thingGroupName: 'esp32-fleet-dev-devices' }),
    );
    expect(described).toMatchObject({
      thingGroupName: 'esp32-fleet-dev-devices',
      status: 'ACTIVE',
    });
    const endpoint = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Jobs' }));
    expect(`https://${endpoint.endpointAddress}`).toBe(t.cloud.config.endpoints.iotJobsData);
  });
});
