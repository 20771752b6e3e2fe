import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../test/utils/fixtures';
import type { RecordingIotServer } from '../../test/utils/recording-iot-server';
import { jobIds } from '../queues';
import { formatRolloutStatus, rolloutStatus } from '../rollout/rollout-status';
import { gatedPlanText } from './test-plans';
import {
  startCloud,
  waitFor,
  waitForJob,
  workerTestEnv,
  type WorkerTestEnv,
} from './worker-harness';

/**
 * Device outcomes are set on the recording IoT control plane (execution counts per job, and the
 * fleet-index counts the health query asks for), until the local cloud serves the control plane.
 */
function devices(
  iot: RecordingIotServer,
  health: { updated: number; crashing: number; offline: number },
): void {
  iot.statistics = query => {
    if (query.includes('connectivity.connected:false')) return health.offline;
    if (query.includes('crashesSinceUpdate>0')) return health.crashing;
    return health.updated;
  };
}

describe('advance: staged rollouts and their gates', () => {
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let env: WorkerTestEnv | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  }, 120_000);
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  async function releaseToCanary(
    version: string,
    gate: Record<string, unknown> = {},
  ): Promise<string> {
    env = await workerTestEnv(cloud.stateDir);
    await env.startWorker();
    const { releaseId } = await env.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version,
      planText: gatedPlanText(gate),
    });
    await waitFor('the canary job', () => env!.iot.jobs.get(`${releaseId}-canary`));
    return releaseId;
  }

  const creates = () => env!.iot.calls.filter(c => c.operation === 'CreateJob').map(c => c.jobId);

  it('promotes the fleet stage once the canary succeeded and the updated devices are healthy', async () => {
    const id = await releaseToCanary('5.0.0');
    const canary = env!.iot.jobs.get(`${id}-canary`)!;
    // Devices still updating: the gate waits (minSucceededPercentage 90).
    canary.counts = { numberOfSucceededThings: 4, numberOfInProgressThings: 6 };
    devices(env!.iot, { updated: 4, crashing: 0, offline: 0 });
    await waitFor('a wait decision', async () =>
      (await env!.queues.rollouts.get(id))?.stages.canary?.decision === 'wait' ? true : undefined,
    );
    expect(creates()).toEqual([`${id}-canary`]);

    canary.counts = { numberOfSucceededThings: 10 };
    devices(env!.iot, { updated: 10, crashing: 0, offline: 0 });
    await waitFor('the fleet job', () => env!.iot.jobs.get(`${id}-fleet`));
    const fleet = env!.iot.calls.find(
      c => c.operation === 'CreateJob' && c.jobId === `${id}-fleet`,
    )!;
    expect(fleet.body.targetSelection).toBe('CONTINUOUS');
    expect(fleet.body.jobExecutionsRolloutConfig).toEqual({
      exponentialRate: {
        baseRatePerMinute: 20,
        incrementFactor: 2,
        rateIncreaseCriteria: { numberOfSucceededThings: 200 },
      },
      maximumPerMinute: 1000,
    });
    const record = await waitFor('completion', async () => {
      const r = await env!.queues.rollouts.get(id);
      return r?.state === 'completed' ? r : undefined;
    });
    expect(record.stages.canary).toMatchObject({ state: 'promoted', decision: 'promote' });
    const events = await env!.queues.rollouts.events(id);
    expect(events.map(e => `${e.kind}:${e.stage ?? ''}:${e.decision ?? ''}`)).toEqual([
      'stage-started:canary:',
      'gate:canary:wait',
      'gate:canary:promote',
      'stage-started:fleet:',
      'state::completed',
    ]);
    expect(events[2].reasons).toContain('0 crashing and 0 offline of 10 updated devices');
    // Three fleet-index counts per evaluation, whatever the fleet size.
    const stats = env!.iot.calls.filter(c => c.operation === 'GetStatistics');
    expect(stats.length % 3).toBe(0);
    expect(String(stats[0].body.queryString)).toContain(
      `thingGroupNames:${env!.environment.FLEET_THING_GROUP_PREFIX}canary`,
    );

    const status = await rolloutStatus(env!.queues, env!.clients.iot, id);
    expect(status?.stages.map(s => [s.name, s.state, s.counts?.succeeded])).toEqual([
      ['canary', 'promoted', 10],
      ['fleet', 'started', 0],
    ]);
    expect(formatRolloutStatus(status!)).toMatch(/canary\s+promoted\s+IN_PROGRESS\s+0\s+0\s+10/);
  });

  it('aborts the release when the canary failures cross the threshold: the jobs are canceled and the fleet never starts', async () => {
    const id = await releaseToCanary('5.1.0');
    env!.iot.jobs.get(`${id}-canary`)!.counts = {
      numberOfSucceededThings: 7,
      numberOfFailedThings: 2,
      numberOfTimedOutThings: 1,
    };
    devices(env!.iot, { updated: 7, crashing: 0, offline: 0 });
    const record = await waitFor('abort', async () => {
      const r = await env!.queues.rollouts.get(id);
      return r?.state === 'aborted' ? r : undefined;
    });
    expect(record.reason).toMatch(/3 of 10 executions failed \(30% of all/);
    await waitFor('CancelJob', () => env!.iot.calls.find(c => c.operation === 'CancelJob'));
    expect(env!.iot.jobs.get(`${id}-canary`)!.status).toBe('CANCELED');
    expect(env!.iot.jobs.get(`${id}-canary`)!.reasonCode).toBe('ROLLOUT_ABORTED');
    await new Promise(r => setTimeout(r, 500));
    expect(creates()).toEqual([`${id}-canary`]);
  });

  it('halts a release whose devices all succeeded but then report crashes in their shadow (health gate)', async () => {
    const id = await releaseToCanary('5.2.0');
    env!.iot.jobs.get(`${id}-canary`)!.counts = { numberOfSucceededThings: 10 };
    devices(env!.iot, { updated: 10, crashing: 2, offline: 0 });
    const record = await waitFor('abort', async () => {
      const r = await env!.queues.rollouts.get(id);
      return r?.state === 'aborted' ? r : undefined;
    });
    expect(record.reason).toBe(
      '2 of 10 updated devices (20%) report crashes or reboot loops since the update; the limit is 0%',
    );
    expect(record.stages.canary).toMatchObject({ decision: 'abort', state: 'aborted' });
    await new Promise(r => setTimeout(r, 500));
    expect(creates()).toEqual([`${id}-canary`]);
  });

  it('pause holds the promotion, resume lets it go on, abort cancels everything', async () => {
    const id = await releaseToCanary('5.3.0', { minSucceeded: 1 });
    const pause = await env!.queues.operator('pause', id, { reason: 'investigating a report' });
    await waitForJob(env!.queues.queues.advance, pause.id!);
    env!.iot.jobs.get(`${id}-canary`)!.counts = { numberOfSucceededThings: 10 };
    devices(env!.iot, { updated: 10, crashing: 0, offline: 0 });
    await waitFor('a promote decision while paused', async () =>
      (await env!.queues.rollouts.get(id))?.stages.canary?.decision === 'promote'
        ? true
        : undefined,
    );
    await new Promise(r => setTimeout(r, 600));
    expect(creates()).toEqual([`${id}-canary`]);
    expect((await env!.queues.rollouts.get(id))?.state).toBe('paused');

    const resume = await env!.queues.operator('resume', id);
    await waitForJob(env!.queues.queues.advance, resume.id!);
    await waitFor('the fleet job', () => env!.iot.jobs.get(`${id}-fleet`));

    const abort = await env!.queues.operator('abort', id, { reason: 'bad batch' });
    expect(await (await waitForJob(env!.queues.queues.advance, abort.id!)).getState()).toBe(
      'completed',
    );
    expect((await env!.queues.rollouts.get(id))?.state).toBe('aborted');
    expect(
      env!.iot.calls
        .filter(c => c.operation === 'CancelJob')
        .map(c => c.jobId)
        .sort(),
    ).toEqual([`${id}-canary`, `${id}-fleet`]);
    const resumeAgain = await env!.queues.operator('resume', id);
    const failed = await waitForJob(env!.queues.queues.advance, resumeAgain.id!);
    expect(failed.failedReason).toBe(`cannot resume rollout ${id}: it is aborted, not paused`);
  });

  it('fails a stage job at once with the AWS message on a 4xx, and keeps the failed job listable', async () => {
    env = await workerTestEnv(cloud.stateDir);
    await env.startWorker();
    env.iot.failCreateJob = () => ({
      status: 400,
      type: 'InvalidRequestException',
      message: 'Thing group t-canary does not exist',
    });
    const { releaseId } = await env.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '5.4.0',
      planText: gatedPlanText(),
    });
    const dispatch = await waitForJob(env.queues.queues.dispatch, jobIds.dispatch(releaseId));
    expect(dispatch.failedReason).toBe(
      `CreateJob ${releaseId}-canary: InvalidRequestException: Thing group t-canary does not exist`,
    );
    expect(dispatch.attemptsMade).toBe(1);
    expect(env.iot.calls.filter(c => c.operation === 'CreateJob')).toHaveLength(1);
    expect((await env.queues.failed()).map(j => j.id)).toEqual([jobIds.dispatch(releaseId)]);
  });

  it('retries throttled calls with backoff until AWS accepts them', async () => {
    env = await workerTestEnv(cloud.stateDir);
    await env.startWorker();
    let throttled = 0;
    env.iot.failCreateJob = () =>
      throttled++ < 4
        ? { status: 429, type: 'ThrottlingException', message: 'Rate exceeded' }
        : undefined;
    const { releaseId } = await env.queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '5.5.0',
      planText: gatedPlanText(),
    });
    const dispatch = await waitForJob(env.queues.queues.dispatch, jobIds.dispatch(releaseId));
    expect(await dispatch.getState()).toBe('completed');
    expect(dispatch.attemptsMade).toBeGreaterThanOrEqual(1); // the SDK retried 3 times, then BullMQ
    expect(env.iot.jobs.has(`${releaseId}-canary`)).toBe(true);
    expect(env.iot.calls.filter(c => c.operation === 'CreateJob').length).toBe(5);
  });
});
