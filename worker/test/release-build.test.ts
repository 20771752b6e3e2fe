import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAppImage } from '../../ota/app-image/parse-app-image';
import { parseReleaseManifest } from '../../ota/release-manifest';
import { verifyImageSignature } from '../../ota/secure-boot/verify-signature-block';
import { verifyDetachedSignature } from '../../ota/signing/detached-signature';
import { fixturePath } from '../../test/utils/fixtures';
import type { BuildResult } from '../processors/build';
import { jobIds } from '../queues';
import { ReleaseStore } from '../release/release-store';
import { gatedPlanText } from './test-plans';
import { startCloud, waitForJob, workerTestEnv, type WorkerTestEnv } from './worker-harness';

describe('build: validate, sign and store a release', () => {
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let env: WorkerTestEnv | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'fleet-build-test-'));

  beforeAll(async () => {
    cloud = await startCloud();
  }, 120_000);
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });
  afterAll(async () => {
    await cloud?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function bytes(key: string): Promise<Buffer> {
    const out = await env!.clients.s3.send(
      new GetObjectCommand({ Bucket: env!.config.firmwareBucket, Key: key }),
    );
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  it('stores the signed fixture image and its manifest; both signatures verify with the stack keys; the canary job is created', async () => {
    env = await workerTestEnv(cloud.stateDir);
    await env.startWorker();
    const { releaseId } = await env.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '1.0.0',
      planText: gatedPlanText(),
    });
    const build = await waitForJob(env.queues.queues.build, jobIds.build(releaseId));
    expect(build.failedReason).toBeUndefined();
    const result = build.returnvalue as BuildResult;
    expect(result.uploaded).toBe(true);
    expect(await env.firmwareKeys()).toEqual(
      expect.arrayContaining([`firmware/${releaseId}.bin`, `firmware/${releaseId}.manifest.json`]),
    );

    const image = await bytes(result.imageKey);
    const manifest = parseReleaseManifest((await bytes(result.manifestKey)).toString('utf8'));
    expect(manifest).toMatchObject({
      version: '1.0.0',
      project: 'app-template',
      descriptorVersion: '1cd5752',
      chip: 'esp32',
      size: image.length,
    });
    expect(manifest.source).toEqual({
      fileName: 'esp32-app-template.bin',
      size: 601_808,
      sha256: '6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1',
    });

    const kms = env.clients.kms;
    const secureBootKey = await kms.send(
      new GetPublicKeyCommand({ KeyId: 'alias/esp32-fleet-dev/secure-boot' }),
    );
    const updateKey = await kms.send(
      new GetPublicKeyCommand({ KeyId: 'alias/esp32-fleet-dev/update' }),
    );
    const info = parseAppImage(image);
    expect(info.problems).toEqual([]);
    expect(
      verifyImageSignature(
        info,
        createPublicKey({
          key: Buffer.from(secureBootKey.PublicKey!),
          format: 'der',
          type: 'spki',
        }),
      ).verified,
    ).toBe(true);
    expect(info.sha256).toBe(manifest.sha256);
    const updatePublic = createPublicKey({
      key: Buffer.from(updateKey.PublicKey!),
      format: 'der',
      type: 'spki',
    });
    expect(
      verifyDetachedSignature(
        updatePublic,
        Buffer.from(manifest.sha256, 'hex'),
        manifest.signature.value,
      ),
    ).toBe(true);

    // The rollout is dispatched: one CreateJob for the canary stage, with the plan's settings.
    await waitForJob(env.queues.queues.dispatch, jobIds.dispatch(releaseId));
    const creates = env.iot.calls.filter(c => c.operation === 'CreateJob');
    expect(creates.map(c => c.jobId)).toEqual([`${releaseId}-canary`]);
    const body = creates[0].body;
    const group = `${env.environment.FLEET_THING_GROUP_PREFIX}canary`;
    expect(body.targets).toEqual([
      `arn:aws:iot:${env.config.region}:${env.config.accountId}:thinggroup/${group}`,
    ]);
    expect(body.jobExecutionsRolloutConfig).toEqual({ maximumPerMinute: 10 });
    expect(body.abortConfig).toEqual({
      criteriaList: [
        {
          failureType: 'ALL',
          action: 'CANCEL',
          thresholdPercentage: 20,
          minNumberOfExecutedThings: 1,
        },
      ],
    });
    expect(body.timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 60 });
    expect(body.jobExecutionsRetryConfig).toEqual({
      criteriaList: [{ failureType: 'TIMED_OUT', numberOfRetries: 2 }],
    });
    expect(body.presignedUrlConfig).toEqual({
      roleArn: env.config.presignRoleArn,
      expiresInSec: 3600,
    });
    const document = JSON.parse(String(body.document));
    expect(document.firmware.url).toBe(
      `\${aws:iot:s3-presigned-url-v2:https://s3.${env.config.region}.amazonaws.com/${env.config.firmwareBucket}/firmware/${releaseId}.bin}`,
    );
    expect(document.firmware.sha256).toBe(manifest.sha256);
    expect(document.firmware.signature).toBe(manifest.signature.value);
  });

  it('builds the same input and version once: a second submission uploads nothing', async () => {
    env = await workerTestEnv(cloud.stateDir);
    await env.startWorker();
    const input = {
      file: fixturePath('esp32-app-template.bin'),
      version: '1.1.0',
      planText: gatedPlanText(),
    };
    const first = await env.queues.submitRelease(input);
    await waitForJob(env.queues.queues.build, jobIds.build(first.releaseId));
    const again = await env.queues.submitRelease(input);
    expect(again).toMatchObject({ releaseId: first.releaseId, added: false });

    // A fresh queue (as after Redis lost everything): the build runs again and finds the object.
    const second = await workerTestEnv(cloud.stateDir, {
      FLEET_THING_GROUP_PREFIX: env.environment.FLEET_THING_GROUP_PREFIX,
    });
    try {
      await second.startWorker();
      const rerun = await second.queues.submitRelease(input);
      expect(rerun.added).toBe(true);
      const build = await waitForJob(second.queues.queues.build, jobIds.build(rerun.releaseId));
      expect((build.returnvalue as BuildResult).uploaded).toBe(false);
    } finally {
      await second.cleanup();
    }
    expect((await env.firmwareKeys()).filter(k => k.includes(first.releaseId))).toHaveLength(2);
  });

  const failures: [
    string,
    () => Promise<{
      file: string;
      version: string;
      chip?: string;
      seed?: { version: string; secureVersion: number };
    }>,
    RegExp,
  ][] = [
    [
      'not an image',
      async () => {
        const file = join(scratch, 'notes.txt');
        writeFileSync(file, 'these are release notes, not firmware\n'.repeat(100));
        return { file, version: '3.0.0' };
      },
      /refusing to sign an invalid image: at 0x0: /,
    ],
    [
      'a bootloader',
      async () => ({ file: fixturePath('bootloader_esp32.bin'), version: '3.0.1' }),
      /not an application/,
    ],
    [
      'an image for another chip',
      async () => ({
        file: fixturePath('esp_idf_blink_esp32s2.bin'),
        version: '3.0.2',
        chip: 'esp32',
      }),
      /at 0xc: image is built for ESP32-S2, target is ESP32/,
    ],
    [
      'a version that is not newer (downgrade)',
      async () => ({
        file: fixturePath('esp32-app-template.bin'),
        version: '1.5.0',
        seed: { version: '2.0.0', secureVersion: 0 },
      }),
      /1\.5\.0 is not newer than 2\.0\.0/,
    ],
    [
      'a lower secure_version',
      async () => ({
        file: fixturePath('esp32-app-template.bin'),
        version: '9.0.0',
        seed: { version: '2.0.0', secureVersion: 3 },
      }),
      /secure_version 0 is lower than 3/,
    ],
  ];
  it.each(failures)(
    'refuses %s with a clear message and leaves nothing in S3',
    async (_name, make, message) => {
      env = await workerTestEnv(cloud.stateDir);
      await env.startWorker();
      const input = await make();
      if (input.seed) {
        const store = new ReleaseStore(env.clients.s3, env.config.firmwareBucket);
        await store.putGroupRecord({
          group: `${env.environment.FLEET_THING_GROUP_PREFIX}canary`,
          releaseId: 'vseed-0',
          ...input.seed,
          updatedAt: new Date().toISOString(),
        });
      }
      const before = await env.firmwareKeys();
      const { releaseId } = await env.queues.submitRelease({ ...input, planText: gatedPlanText() });
      const build = await waitForJob(env.queues.queues.build, jobIds.build(releaseId));
      expect(await build.getState()).toBe('failed');
      expect(build.failedReason).toMatch(message);
      if (process.env.SHOW_REASONS) console.log(build.failedReason);
      expect(build.attemptsMade).toBe(1); // UnrecoverableError: no retries
      expect(await env.firmwareKeys()).toEqual(before);
      expect(env.iot.calls.filter(c => c.operation === 'CreateJob')).toEqual([]);
      const failed = await env.queues.failed();
      expect(failed.map(j => j.id)).toContain(jobIds.build(releaseId));
    },
  );

  it('refuses a malformed plan before anything is queued, naming the field', async () => {
    env = await workerTestEnv(cloud.stateDir);
    const plan = JSON.parse(gatedPlanText());
    plan.stages[0].abort[0].thresholdPercentage = 120;
    await expect(
      env.queues.submitRelease({
        file: fixturePath('esp32-app-template.bin'),
        version: '4.0.0',
        planText: JSON.stringify(plan),
      }),
    ).rejects.toThrow(
      /stages\[0\]\.abort\[0\]\.thresholdPercentage: expected a number from 0 to 100/,
    );
    expect(await env.queues.queues.build.count()).toBe(0);
  });
});
