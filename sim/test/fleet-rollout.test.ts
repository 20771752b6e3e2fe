/**
 * End to end, 20 virtual devices with mixed behaviours: the local cloud, the worker in-process,
 * the devices provisioning themselves by claim, a release through the real queues and a real
 * AWS IoT job per stage (plans/demo.json). Every device must end as its behaviour predicts, the
 * gate must promote or abort as the plan says, and no device may run an image that failed its
 * checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeThingCommand,
  GetJobDocumentCommand,
  SearchIndexCommand,
} from '@aws-sdk/client-iot';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath, repoRoot } from '../../test/utils/fixtures';
import { cleanupRedis, testPrefix } from '../../test/utils/cleanup-redis';
import { QUEUE_NAMES } from '../../worker/queues';
import { createAwsClients } from '../../worker/clients/aws-clients';
import { loadWorkerConfig } from '../../worker/config/load-worker-config';
import { runFleetDemo, type FleetDemo } from '../../scripts/start/fleet-demo';
import {
  assignBehaviours,
  EXPECTED_OUTCOME,
  type Behaviour,
  type BehaviourMix,
} from '../device-behaviour';

const DEVICES = 20;
const CANARY = 2; // 5 % of 20, at least 2 (fleet-demo.ts)
const MIX: BehaviourMix = {
  healthy: 60,
  flaky: 10,
  slow: 10,
  broken: 10,
  rejecting: 5,
  corrupting: 5,
};

/** The first seed whose canary devices satisfy `want` (the scenario is chosen, the run is not). */
function seedWhere(want: (canary: Behaviour[]) => boolean): number {
  for (let seed = 1; seed < 1000; seed++)
    if (want(assignBehaviours(DEVICES, MIX, seed).slice(0, CANARY))) return seed;
  throw new Error('no seed found');
}

describe('a virtual fleet rollout (20 devices)', () => {
  let demo: FleetDemo | undefined;
  let prefix = '';
  const dirs: string[] = [];
  afterEach(async () => {
    await demo?.stop();
    demo = undefined;
    await cleanupRedis(prefix, Object.values(QUEUE_NAMES));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function run(seed: number): Promise<FleetDemo> {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-sim-e2e-'));
    dirs.push(dir);
    prefix = testPrefix();
    demo = await runFleetDemo({
      cloudStateDir: join(dir, 'local'),
      simStateDir: join(dir, 'sim'),
      devices: DEVICES,
      mix: MIX,
      seed,
      planFile: join(repoRoot, 'plans/demo.json'),
      imageFile: fixturePath('esp32-app-template.bin'),
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: prefix,
      timeoutMs: 45_000,
    });
    return demo;
  }

  it('promotes past a healthy canary; in the fleet stage each behaviour ends as predicted', async () => {
    const { result } = await run(seedWhere(c => c.every(b => b === 'healthy')));
    expect(result.problems).toEqual([]);
    expect(result.expectation.state).toBe('completed');
    expect(result.snapshot.rollout?.state).toBe('completed');
    expect(result.snapshot.events.find(e => e.decision === 'promote')?.stage).toBe('canary');
    const behaviours = new Set(result.devices.map(d => d.behaviour));
    expect(behaviours).toEqual(
      new Set(['healthy', 'flaky', 'slow', 'broken', 'rejecting', 'corrupting']),
    );
    for (const d of result.devices) {
      const want = EXPECTED_OUTCOME[d.behaviour];
      expect({ thing: d.thingName, phase: d.phase, reason: d.reason, version: d.version }).toEqual({
        thing: d.thingName,
        phase:
          want.status === 'SUCCEEDED'
            ? 'succeeded'
            : want.status === 'FAILED'
              ? 'failed'
              : 'rejected',
        reason: want.reason,
        version: want.updated ? result.version : '1.0.0',
      });
      // Updated devices run exactly the released (verified) image; the others the factory one.
      if (want.updated) expect(d.runningSha256).toMatch(/^[0-9a-f]{64}$/);
      else expect(d.runningSha256).toBe('factory');
    }
    expect(result.devices.filter(d => d.behaviour === 'flaky').every(d => d.drops === 2)).toBe(
      true,
    );
    expect(
      new Set(result.devices.filter(d => d.version === result.version).map(d => d.runningSha256))
        .size,
    ).toBe(1);
    const fleetStage = result.snapshot.stages.find(s => s.name === 'fleet')!;
    expect(fleetStage.succeeded + fleetStage.failed + fleetStage.rejected).toBe(DEVICES - CANARY);

    const config = loadWorkerConfig({ localStateDir: join(dirs[0], 'local'), environment: {} });
    const { iot, destroy } = createAwsClients(config);
    try {
      // Devices report the outcome in the shadow fields the fleet index knows (device-shadow.md).
      const succeeded = result.devices.filter(d => d.phase === 'succeeded').length;
      await expect
        .poll(
          async () =>
            (
              await iot.send(
                new SearchIndexCommand({
                  queryString: 'shadow.reported.ota.lastResult:SUCCEEDED',
                  maxResults: 100,
                }),
              )
            ).things?.length,
        )
        .toBe(succeeded);

      // The same release again for an updated device is already installed: SUCCEEDED, not
      // FAILED version_not_newer (job-document.md, "Version policy").
      const updated = result.devices.find(d => d.behaviour === 'healthy')!;
      const { document } = await iot.send(
        new GetJobDocumentCommand({ jobId: `${result.releaseId}-fleet` }),
      );
      const { thingArn } = await iot.send(
        new DescribeThingCommand({ thingName: updated.thingName }),
      );
      const jobId = `${result.releaseId}-again`;
      await iot.send(new CreateJobCommand({ jobId, targets: [thingArn!], document }));
      await expect
        .poll(
          async () =>
            (
              await iot.send(
                new DescribeJobExecutionCommand({ jobId, thingName: updated.thingName }),
              )
            ).execution?.status,
          { timeout: 10_000 },
        )
        .toBe('SUCCEEDED');
    } finally {
      destroy();
    }
  }, 60_000);

  it('aborts at the canary stage when a canary device rolls back (abort criteria cancel the job, the gate records the abort); the fleet stage is never created', async () => {
    const { result } = await run(seedWhere(c => c.includes('broken')));
    expect(result.expectation.state).toBe('aborted');
    expect(result.snapshot.rollout?.state).toBe('aborted');
    expect(result.snapshot.events.find(e => e.decision === 'abort')?.stage).toBe('canary');
    expect(result.problems).toEqual([]);
    const broken = result.devices.slice(0, CANARY).find(d => d.behaviour === 'broken')!;
    expect([broken.phase, broken.reason, broken.version]).toEqual(['failed', 'rollback', '1.0.0']);
    expect(
      result.devices.slice(CANARY).every(d => d.version === '1.0.0' && d.jobId === undefined),
    ).toBe(true);
    const config = loadWorkerConfig({ localStateDir: join(dirs[0], 'local'), environment: {} });
    const clients = createAwsClients(config);
    await expect(
      clients.iot.send(new DescribeJobCommand({ jobId: `${result.releaseId}-fleet` })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    clients.destroy();
  }, 60_000);
});
