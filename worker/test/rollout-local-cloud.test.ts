/**
 * The whole pipeline against the local cloud's own control plane, jobs engine, shadows and fleet
 * index (no recording server): release → S3 → staged AWS IoT jobs; provisioned devices take the
 * canary job over the HTTPS jobs data plane and report their firmware and health in their shadow;
 * the gate promotes, or aborts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddThingToThingGroupCommand,
  CreateThingGroupCommand,
  DescribeJobCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import {
  StartNextPendingJobExecutionCommand,
  UpdateJobExecutionCommand,
} from '@aws-sdk/client-iot-jobs-data-plane';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { iotService } from '../../local/control-plane/iot-service';
import { kmsService } from '../../local/kms/kms-service';
import { startLocalCloud } from '../../local/local-cloud';
import type { LocalCloud } from '../../local/local-cloud-config';
import { s3Service } from '../../local/s3/s3-service';
import { connectDevice, provisionDevice } from '../../local/test/local-cloud-harness';
import { jobsDataClient } from '../../local/test/utils/iot-test-cloud';
import { fixturePath } from '../../test/utils/fixtures';
import { cleanupRedis, testPrefix } from '../../test/utils/cleanup-redis';
import { createAwsClients, type AwsClients } from '../clients/aws-clients';
import { loadWorkerConfig } from '../config/load-worker-config';
import { FleetQueues } from '../fleet-queues';
import { startFleetWorker, type FleetWorker } from '../fleet-worker';
import { createRootLogger } from '../logging/logger';
import { QUEUE_NAMES } from '../queues';
import { gatedPlanText } from './test-plans';
import { REDIS_URL, waitFor } from './worker-harness';

interface Device {
  thingName: string;
  certPem: string;
  keyPem: string;
}

describe('rollout on the local cloud (control plane, jobs data plane, shadows, fleet index)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fleet-worker-e2e-'));
  let cloud: LocalCloud;
  let serial = 0;
  const connections: { disconnect(): Promise<unknown> }[] = [];
  let run:
    | {
        prefix: string;
        worker: FleetWorker;
        queues: FleetQueues;
        clients: AwsClients;
        groupPrefix: string;
      }
    | undefined;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      stateDir,
      mqttPort: 0,
      services: [s3Service(), kmsService(), iotService({ tickMs: 100 })],
    });
    // The stack's device policy grants MQTT; devices here use the HTTPS jobs data plane too.
    cloud.registry.putPolicy(
      'test-https-jobs',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'iot:StartNextPendingJobExecution',
              'iot:UpdateJobExecution',
              'iot:DescribeJobExecution',
              'iot:GetPendingJobExecutions',
            ],
            Resource: cloud.registry.arn('thing/${iot:Connection.Thing.ThingName}'),
          },
        ],
      }),
    );
  }, 180_000);
  afterEach(async () => {
    await Promise.all(connections.splice(0).map(c => c.disconnect().catch(() => undefined)));
    if (!run) return;
    await run.worker.close();
    await run.queues.close();
    run.clients.destroy();
    await cleanupRedis(run.prefix, Object.values(QUEUE_NAMES));
    run = undefined;
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function start(): Promise<NonNullable<typeof run>> {
    const prefix = testPrefix();
    const groupPrefix = `e2e-${++serial}-`;
    const config = loadWorkerConfig({
      localStateDir: stateDir,
      environment: {
        REDIS_URL,
        FLEET_QUEUE_PREFIX: prefix,
        FLEET_GATE_POLL_SECONDS: '0.2',
        FLEET_THING_GROUP_PREFIX: groupPrefix,
      },
    });
    expect(config.endpoints.iot).toBe(cloud.config.endpoints.iot);
    const clients = createAwsClients(config);
    for (const stage of ['canary', 'fleet'])
      await clients.iot.send(
        new CreateThingGroupCommand({ thingGroupName: `${groupPrefix}${stage}` }),
      );
    const worker = await startFleetWorker({
      config,
      log: createRootLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    });
    run = { prefix, worker, queues: new FleetQueues(config), clients, groupPrefix };
    return run;
  }

  async function devicesIn(iot: IoTClient, group: string, count: number): Promise<Device[]> {
    const devices: Device[] = [];
    for (let i = 0; i < count; i++) {
      const s =
        `E2E${String(serial).padStart(3, '0')}${String(devices.length).padStart(2, '0')}${group.endsWith('canary') ? 'C' : 'F'}000`
          .slice(0, 12)
          .toUpperCase();
      const device = await provisionDevice(cloud, s.replace(/[^0-9A-F]/g, 'A'));
      cloud.registry.attachPolicy(
        'test-https-jobs',
        cloud.registry.getCertificate(device.certificateId)!.certificateArn,
      );
      await iot.send(
        new AddThingToThingGroupCommand({ thingName: device.thingName, thingGroupName: group }),
      );
      // Online over MQTT as itself, as a device in the field (fleet indexing's connectivity).
      connections.push(await connectDevice(cloud, device.certPem, device.keyPem, device.thingName));
      devices.push(device);
    }
    return devices;
  }

  /** A device takes its next job and reports the outcome, then its shadow (version, health). */
  async function takeUpdate(
    device: Device,
    outcome: 'SUCCEEDED' | 'FAILED',
    version: string,
    crashes = 0,
  ): Promise<void> {
    const jobs = jobsDataClient(cloud, device.certPem, device.keyPem);
    const started = await jobs.send(
      new StartNextPendingJobExecutionCommand({ thingName: device.thingName }),
    );
    const execution = started.execution!;
    expect(JSON.parse(execution.jobDocument!)).toMatchObject({
      operation: 'ota',
      firmware: { version },
    });
    await jobs.send(
      new UpdateJobExecutionCommand({
        thingName: device.thingName,
        jobId: execution.jobId!,
        status: outcome,
        statusDetails: outcome === 'FAILED' ? { reason: 'rollback' } : {},
      }),
    );
    jobs.destroy();
    if (outcome === 'SUCCEEDED') {
      const data = new IoTDataPlaneClient({
        endpoint: cloud.config.endpoints.iot!,
        region: cloud.config.region,
        credentials: cloud.config.credentials,
        maxAttempts: 1,
      });
      const reported = {
        firmware: { version, slot: 'ota_1' },
        health: {
          bootsSinceUpdate: 1 + crashes,
          crashesSinceUpdate: crashes,
          reconnects: 0,
          uptimeSeconds: 30,
        },
      };
      await data.send(
        new UpdateThingShadowCommand({
          thingName: device.thingName,
          payload: Buffer.from(JSON.stringify({ state: { reported } })),
        }),
      );
      data.destroy();
    }
  }

  const rolloutState = (r: NonNullable<typeof run>, id: string, state: string) =>
    waitFor(`rollout ${state}`, async () => {
      const record = await r.queues.rollouts.get(id);
      return record?.state === state ? record : undefined;
    });

  it('promotes the fleet stage after the canary devices succeed and stay healthy; the presigned URL serves the signed image', async () => {
    const r = await start();
    const canary = await devicesIn(r.clients.iot, `${r.groupPrefix}canary`, 2);
    const { releaseId } = await r.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '1.0.0',
      planText: gatedPlanText(),
    });
    await waitFor(
      'canary job',
      async () =>
        (await r.queues.rollouts.get(releaseId))?.stages.canary?.jobId ? true : undefined,
      30_000,
    );

    // The device sees a presigned URL of the local S3 in place of the placeholder, and it works.
    const jobs = jobsDataClient(cloud, canary[0].certPem, canary[0].keyPem);
    const first = await jobs.send(
      new StartNextPendingJobExecutionCommand({ thingName: canary[0].thingName }),
    );
    const document = JSON.parse(first.execution!.jobDocument!) as {
      firmware: { url: string; size: number; sha256: string };
    };
    const download = await fetch(document.firmware.url);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(document.firmware.size);
    await jobs.send(
      new UpdateJobExecutionCommand({
        thingName: canary[0].thingName,
        jobId: first.execution!.jobId!,
        status: 'SUCCEEDED',
      }),
    );
    jobs.destroy();
    const data = new IoTDataPlaneClient({
      endpoint: cloud.config.endpoints.iot!,
      region: cloud.config.region,
      credentials: cloud.config.credentials,
      maxAttempts: 1,
    });
    await data.send(
      new UpdateThingShadowCommand({
        thingName: canary[0].thingName,
        payload: Buffer.from(
          JSON.stringify({
            state: {
              reported: { firmware: { version: '1.0.0' }, health: { crashesSinceUpdate: 0 } },
            },
          }),
        ),
      }),
    );
    data.destroy();
    await takeUpdate(canary[1], 'SUCCEEDED', '1.0.0');

    await rolloutState(r, releaseId, 'completed');
    const fleet = await r.clients.iot.send(new DescribeJobCommand({ jobId: `${releaseId}-fleet` }));
    expect(fleet.job?.targets).toEqual([
      `arn:aws:iot:${cloud.config.region}:${cloud.config.accountId}:thinggroup/${r.groupPrefix}fleet`,
    ]);
    expect(fleet.job?.targetSelection).toBe('CONTINUOUS');
    const events = await r.queues.rollouts.events(releaseId);
    expect(events.find(e => e.decision === 'promote')?.reasons).toContain(
      '0 crashing and 0 offline of 2 updated devices',
    );
  }, 120_000);

  it('halts the release when the canary devices succeed but then report crashes in their shadow', async () => {
    const r = await start();
    const canary = await devicesIn(r.clients.iot, `${r.groupPrefix}canary`, 2);
    const { releaseId } = await r.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '1.1.0',
      planText: gatedPlanText({ soakMinutes: 0 }),
    });
    await waitFor(
      'canary job',
      async () =>
        (await r.queues.rollouts.get(releaseId))?.stages.canary?.jobId ? true : undefined,
      30_000,
    );
    await takeUpdate(canary[0], 'SUCCEEDED', '1.1.0', 3);
    await takeUpdate(canary[1], 'SUCCEEDED', '1.1.0', 0);
    const record = await rolloutState(r, releaseId, 'aborted');
    // The gate may run between the two reports (1 of 1) or after both (1 of 2): it aborts either way.
    expect(record.reason).toMatch(
      /^1 of [12] updated devices \((100|50)%\) report crashes or reboot loops since the update; the limit is 0%$/,
    );
    const canaryJob = await r.clients.iot.send(
      new DescribeJobCommand({ jobId: `${releaseId}-canary` }),
    );
    expect(canaryJob.job?.jobProcessDetails?.numberOfSucceededThings).toBe(2);
    await expect(
      r.clients.iot.send(new DescribeJobCommand({ jobId: `${releaseId}-fleet` })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 120_000);

  it('aborts when canary failures cross the threshold: the canary job is canceled, the fleet stage never created', async () => {
    const r = await start();
    const canary = await devicesIn(r.clients.iot, `${r.groupPrefix}canary`, 3);
    const { releaseId } = await r.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '1.2.0',
      planText: gatedPlanText(),
    });
    await waitFor(
      'canary job',
      async () =>
        (await r.queues.rollouts.get(releaseId))?.stages.canary?.jobId ? true : undefined,
      30_000,
    );
    await takeUpdate(canary[0], 'FAILED', '1.2.0');
    const record = await rolloutState(r, releaseId, 'aborted');
    expect(record.reason).toMatch(/failed|CANCELED/);
    const canaryJob = await waitFor('canceled canary job', async () => {
      const out = await r.clients.iot.send(
        new DescribeJobCommand({ jobId: `${releaseId}-canary` }),
      );
      return out.job?.status === 'CANCELED' ? out.job : undefined;
    });
    expect(canaryJob.jobProcessDetails?.numberOfFailedThings).toBe(1);
    await expect(
      r.clients.iot.send(new DescribeJobCommand({ jobId: `${releaseId}-fleet` })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 120_000);
});
