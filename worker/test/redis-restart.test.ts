import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../test/utils/fixtures';
import { startPrivateRedis, type PrivateRedis } from '../../test/utils/private-redis';
import { gatedPlanText } from './test-plans';
import { startCloud, waitFor, workerTestEnv, type WorkerTestEnv } from './worker-harness';

describe('Redis restarted mid-rollout', () => {
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let redis: PrivateRedis;
  let env: WorkerTestEnv | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
    redis = await startPrivateRedis();
  }, 120_000);
  afterAll(async () => {
    await env?.cleanup().catch(() => undefined);
    await redis?.destroy();
    await cloud?.stop();
  });

  it('the worker reconnects and carries on: the waiting gate promotes after the restart', async () => {
    env = await workerTestEnv(cloud.stateDir, { REDIS_URL: redis.url });
    await env.startWorker();
    const { releaseId } = await env.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '7.0.0',
      planText: gatedPlanText(),
    });
    const canary = await waitFor('the canary job', () => env!.iot.jobs.get(`${releaseId}-canary`));
    canary.counts = { numberOfInProgressThings: 5 };
    await waitFor('a wait decision', async () =>
      (await env!.queues.rollouts.get(releaseId))?.stages.canary?.decision === 'wait'
        ? true
        : undefined,
    );

    await redis.stop();
    await new Promise(r => setTimeout(r, 1500)); // the worker sees the connection gone
    await redis.start();

    canary.counts = { numberOfSucceededThings: 5 };
    env.iot.statistics = q =>
      q.includes('connectivity.connected:false') || q.includes('crashesSinceUpdate>0') ? 0 : 5;
    await waitFor(
      'the fleet job after the restart',
      () => env!.iot.jobs.get(`${releaseId}-fleet`),
      30_000,
    );
    expect([...env.iot.jobs.keys()].sort()).toEqual([`${releaseId}-canary`, `${releaseId}-fleet`]);
    await waitFor('the rollout completed', async () =>
      (await env!.queues.rollouts.get(releaseId))?.state === 'completed' ? true : undefined,
    );
  }, 90_000);
});
