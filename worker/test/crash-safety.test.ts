import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/utils/fixtures';
import { syntheticAppImage } from '../../test/utils/synthetic-app-image';
import { jobIds } from '../queues';
import { gatedPlanText } from './test-plans';
import {
  startCloud,
  waitFor,
  waitForJob,
  workerTestEnv,
  type WorkerTestEnv,
} from './worker-harness';

/** `fleet worker` in a child process, as an operator runs it. */
function spawnWorker(stateDir: string, environment: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts/fleet.ts'), 'worker', '--local', stateDir],
    {
      cwd: repoRoot,
      env: { ...process.env, ...environment, FLEET_STALLED_SECONDS: '1', FLEET_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('crash safety: SIGKILL of `fleet worker`', () => {
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let env: WorkerTestEnv | undefined;
  const children: ChildProcess[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'fleet-crash-test-'));

  beforeAll(async () => {
    cloud = await startCloud();
  }, 120_000);
  afterEach(async () => {
    await Promise.all(children.splice(0).map(killed));
    await env?.cleanup();
    env = undefined;
  });
  afterAll(async () => {
    await cloud?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('killed while signing: a new worker completes the release with exactly one object and one job per stage', async () => {
    env = await workerTestEnv(cloud.stateDir);
    const file = join(scratch, 'big-app.bin');
    writeFileSync(file, syntheticAppImage(12_000_000, 7));
    children.push(spawnWorker(cloud.stateDir, env.environment));
    const { releaseId } = await env.queues.submitRelease({
      file,
      version: '6.0.0',
      planText: gatedPlanText(),
    });
    const buildId = jobIds.build(releaseId);
    await waitFor(
      'signing progress',
      async () => {
        const job = await env!.queues.queues.build.getJob(buildId);
        const p = job?.progress as { phase?: string } | undefined;
        return p?.phase === 'signing' ? true : undefined;
      },
      60_000,
    );
    await killed(children[0]);
    expect(await (await env.queues.queues.build.getJob(buildId))!.getState()).toBe('active');
    expect(await env.firmwareKeys()).not.toContain(`firmware/${releaseId}.bin`);

    children.push(spawnWorker(cloud.stateDir, env.environment));
    const build = await waitForJob(
      env.queues.queues.build,
      buildId,
      ['completed', 'failed'],
      60_000,
    );
    expect(build.failedReason).toBeUndefined();
    await waitForJob(env.queues.queues.dispatch, jobIds.dispatch(releaseId), ['completed'], 30_000);
    expect((await env.firmwareKeys()).filter(k => k.includes(releaseId))).toEqual([
      `firmware/${releaseId}.bin`,
      `firmware/${releaseId}.manifest.json`,
    ]);
    expect([...env.iot.jobs.keys()]).toEqual([`${releaseId}-canary`]);
  }, 120_000);

  it('killed while CreateJob is in flight: the new worker finds the job instead of making a second', async () => {
    env = await workerTestEnv(cloud.stateDir);
    let hold = true;
    env.iot.holdCreateJob = () => hold;
    children.push(spawnWorker(cloud.stateDir, env.environment));
    const { releaseId } = await env.queues.submitRelease({
      file: join(repoRoot, '../shared/fixtures/esp32/esp32-app-template.bin'),
      version: '6.1.0',
      planText: gatedPlanText(),
    });
    await waitFor(
      'the CreateJob call',
      () => env!.iot.calls.find(c => c.operation === 'CreateJob'),
      60_000,
    );
    await killed(children[0]);
    hold = false;

    children.push(spawnWorker(cloud.stateDir, env.environment));
    const dispatch = await waitForJob(
      env.queues.queues.dispatch,
      jobIds.dispatch(releaseId),
      ['completed', 'failed'],
      60_000,
    );
    expect(dispatch.failedReason).toBeUndefined();
    expect(env.iot.calls.filter(c => c.operation === 'CreateJob').map(c => c.jobId)).toEqual([
      `${releaseId}-canary`,
      `${releaseId}-canary`,
    ]);
    expect(
      env.iot.calls.some(c => c.operation === 'DescribeJob' && c.jobId === `${releaseId}-canary`),
    ).toBe(true);

    // The rollout carries on: the canary succeeds, the fleet stage is created once.
    env.iot.jobs.get(`${releaseId}-canary`)!.counts = { numberOfSucceededThings: 5 };
    env.iot.statistics = q =>
      q.includes('connectivity.connected:false') || q.includes('crashesSinceUpdate>0') ? 0 : 5;
    await waitFor('the fleet job', () => env!.iot.jobs.get(`${releaseId}-fleet`), 30_000);
    expect([...env.iot.jobs.keys()].sort()).toEqual([`${releaseId}-canary`, `${releaseId}-fleet`]);
    expect(
      env.iot.calls.filter(c => c.operation === 'CreateJob' && c.jobId === `${releaseId}-fleet`),
    ).toHaveLength(1);
  }, 120_000);

  it('stops gracefully on SIGTERM', async () => {
    env = await workerTestEnv(cloud.stateDir);
    const child = spawnWorker(cloud.stateDir, env.environment);
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('worker ready', () => (out.includes('worker ready') ? true : undefined), 60_000);
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as { msg: string });
    expect(lines.map(l => l.msg)).toEqual(
      expect.arrayContaining([
        'worker ready',
        'shutting down: finishing jobs in progress',
        'worker stopped',
      ]),
    );
  }, 120_000);
});
