/**
 * The command line as an operator uses it: `fleet worker` and `fleet release` / `fleet rollout`
 * as separate processes against the local cloud (S3, KMS) and the recording IoT control plane.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, repoRoot } from '../../test/utils/fixtures';
import { startCloud, waitFor, workerTestEnv, type WorkerTestEnv } from './worker-harness';

const FLEET = join(repoRoot, 'scripts/fleet.ts');

function fleet(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FLEET, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>(resolve =>
    child.once('exit', code => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe('fleet release / rollout / worker', () => {
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let env: WorkerTestEnv | undefined;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  }, 120_000);
  afterEach(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise(resolve => worker!.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await env?.cleanup();
    env = undefined;
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('releases with a progress bar, shows the rollout table, and pauses, resumes and aborts it', async () => {
    env = await workerTestEnv(cloud.stateDir);
    const cliEnv = { ...env.environment, FLEET_LOG_LEVEL: 'warn' };
    worker = fleet(['worker', '--local', cloud.stateDir], cliEnv).child;
    const planFile = join(repoRoot, 'plans/canary-then-fleet.json');
    const release = await fleet(
      ['release', fixturePath('esp32-app-template.bin'), '--version', '8.0.0', '--plan', planFile],
      cliEnv,
    ).done;
    expect(release.code).toBe(0);
    const releaseId = release.stdout.trim();
    expect(releaseId).toMatch(/^v8_0_0-[0-9a-f]{16}$/);
    expect(release.stderr).toMatch(/\[#+\] 100% built/);
    expect(release.stderr).toContain(`release: stage canary: AWS IoT job ${releaseId}-canary`);
    expect(env.iot.jobs.has(`${releaseId}-canary`)).toBe(true);

    env.iot.jobs.get(`${releaseId}-canary`)!.counts = {
      numberOfSucceededThings: 3,
      numberOfInProgressThings: 1,
      numberOfFailedThings: 0,
    };
    const status = await fleet(['rollout', 'status', releaseId, '--local', cloud.stateDir], cliEnv)
      .done;
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`rollout ${releaseId}: rolling-out`);
    expect(status.stdout).toMatch(
      /stage\s+state\s+aws job\s+queued\s+in progress\s+succeeded\s+failed\s+timed out\s+rejected\s+canceled\s+gate/,
    );
    expect(status.stdout).toMatch(
      /canary\s+started \(delayed\)\s+IN_PROGRESS\s+0\s+1\s+3\s+0\s+0\s+0\s+0/,
    );
    expect(status.stdout).toMatch(/fleet\s+waiting\s+-/);

    const pause = await fleet(
      ['rollout', 'pause', releaseId, '--reason', 'looking into it'],
      cliEnv,
    ).done;
    expect(pause.stdout.trim()).toBe(`rollout ${releaseId}: paused`);
    const resume = await fleet(['rollout', 'resume', releaseId], cliEnv).done;
    expect(resume.stdout.trim()).toBe(`rollout ${releaseId}: resumed`);
    const abort = await fleet(['rollout', 'abort', releaseId, '--reason', 'wrong build'], cliEnv)
      .done;
    expect(abort.stdout.trim()).toBe(`rollout ${releaseId}: aborted`);
    expect(env.iot.jobs.get(`${releaseId}-canary`)!.status).toBe('CANCELED');
    const after = await fleet(
      ['rollout', 'status', releaseId, '--local', cloud.stateDir, '--json'],
      cliEnv,
    ).done;
    const json = JSON.parse(after.stdout) as {
      state: string;
      events: { decision?: string; reasons: string[] }[];
    };
    expect(json.state).toBe('aborted');
    expect(json.events.map(e => e.decision).filter(Boolean)).toEqual([
      'paused',
      'resumed',
      'aborted',
    ]);
    expect(json.events.at(-1)?.reasons).toEqual(['wrong build']);
  }, 120_000);

  it('fails a bad release with exit code 1 and the reason, and lists it with `fleet rollout failed`', async () => {
    env = await workerTestEnv(cloud.stateDir);
    const cliEnv = { ...env.environment, FLEET_LOG_LEVEL: 'warn' };
    worker = fleet(['worker', '--local', cloud.stateDir], cliEnv).child;
    const release = await fleet(
      [
        'release',
        fixturePath('bootloader_esp32.bin'),
        '--version',
        '8.1.0',
        '--plan',
        join(repoRoot, 'plans/canary-then-fleet.json'),
      ],
      cliEnv,
    ).done;
    expect(release.code).toBe(1);
    expect(release.stderr).toContain(
      'release: build failed: refusing to sign an invalid image: at 0x20: not an application',
    );
    const failed = await fleet(['rollout', 'failed'], cliEnv).done;
    expect(failed.stdout).toMatch(
      /build\/build {2}build-v8_1_0-[0-9a-f]{16} {2}attempts 1: refusing to sign an invalid image/,
    );

    const badPlan = await fleet(
      [
        'release',
        fixturePath('esp32-app-template.bin'),
        '--version',
        '8.2.0',
        '--plan',
        join(repoRoot, 'package.json'),
      ],
      cliEnv,
    ).done;
    expect(badPlan.code).toBe(2);
    expect(badPlan.stderr).toMatch(/release: invalid rollout plan: /);
    await waitFor(
      'nothing queued for the bad plan',
      async () => ((await env!.queues.queues.build.count()) === 0 ? true : undefined),
      2000,
    );
  }, 120_000);
});
