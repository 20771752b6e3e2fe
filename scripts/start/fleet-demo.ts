/**
 * The whole platform on one machine, as `npm start`, the end-to-end test and the fleet benchmark
 * run it: the local cloud, the worker in-process, a virtual fleet that provisions itself, thing
 * groups per the plan's stages, a release of an image as version N+1, and a watch loop that ends
 * when the rollout reached its end (or the time limit passed).
 *
 * Groups: the first `canaryCount` devices (5 % of the fleet, at least 2) go into the stack's
 * `canary` group, the rest into `fleet` (`infra/ota-jobs.ts` names them `<prefix>-<stage>`). N is
 * the newest version the devices run or the groups were last given (the worker refuses a version
 * that is not newer, `worker/processors/build.ts`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddThingToThingGroupCommand, DescribeJobCommand, DescribeJobExecutionCommand, type JobProcessDetails } from '@aws-sdk/client-iot';
import semver from 'semver';
import { startLocalCloud } from '../../local/local-cloud';
import type { LocalCloud } from '../../local/local-cloud-config';
import { iotService } from '../../local/control-plane/iot-service';
import { kmsService } from '../../local/kms/kms-service';
import { s3Service } from '../../local/s3/s3-service';
import { countsFromJobProcessDetails, type JobExecutionCounts } from '../../ota/rollout-plan/evaluate-gate';
import { parseRolloutPlan } from '../../ota/rollout-plan/parse-rollout-plan';
import type { RolloutPlan } from '../../ota/rollout-plan/rollout-plan-schema';
import { EXPECTED_OUTCOME, type Behaviour, type BehaviourMix } from '../../sim/device-behaviour';
import { loadSimTarget } from '../../sim/sim-target';
import { VirtualFleet } from '../../sim/virtual-fleet';
import type { DeviceStatus } from '../../sim/virtual-device';
import { createAwsClients, type AwsClients } from '../../worker/clients/aws-clients';
import { loadWorkerConfig } from '../../worker/config/load-worker-config';
import { FleetQueues } from '../../worker/fleet-queues';
import { startFleetWorker, type FleetWorker } from '../../worker/fleet-worker';
import { createRootLogger } from '../../worker/logging/logger';
import { ReleaseStore } from '../../worker/release/release-store';
import type { RolloutEvent, RolloutRecord } from '../../worker/rollout/rollout-store';
import { thingGroupName } from '../../worker/rollout/thing-groups';
import { expectRollout, type RolloutExpectation } from './rollout-expectation';

export interface FleetDemoOptions {
  /** The local cloud's state dir (`.fleet/local`). */
  readonly cloudStateDir: string;
  /** The virtual devices' records (`.fleet/sim`). */
  readonly simStateDir: string;
  readonly devices: number;
  readonly mix: BehaviourMix;
  readonly seed: number;
  readonly planFile: string;
  readonly imageFile: string;
  readonly redisUrl: string;
  /**
   * BullMQ key prefix. @defaultValue `fleet-<access key id of this local cloud>`: the queues and
   * rollout records belong to one local cloud's state (a wiped `.fleet/local` starts afresh, and
   * never meets rollout records whose AWS jobs it no longer has)
   */
  readonly queuePrefix?: string;
  /** Give up after this long. @defaultValue 120 s */
  readonly timeoutMs?: number;
  /** Devices booting at once. @defaultValue 32 */
  readonly bootConcurrency?: number;
  readonly onProgress?: (snapshot: DemoSnapshot) => void;
  /** Firmware `fleet-device` processes to add to the fleet stage (needs `fleetDeviceBinary`). @defaultValue 0 */
  readonly firmwareDevices?: number;
  /** The `fleet-device` binary. */
  readonly fleetDeviceBinary?: string;
  /** Their state dirs. @defaultValue `<simStateDir>/../firmware` */
  readonly firmwareStateDir?: string;
  /**
   * Serve the web console (`console/`) once the local cloud and worker run; a taken port falls
   * back to a free one. @defaultValue no console
   */
  readonly console?: { readonly port: number; readonly host?: string };
}

/** A stage's job as DescribeJob counts it (`ota/`'s counts), with its place in the demo. */
export interface StageProgress extends JobExecutionCounts {
  readonly name: string;
  readonly state: string;
  readonly jobId?: string;
  readonly targets: number;
  /** Executions in a terminal state (succeeded, failed, rejected, timed out, canceled, removed). */
  readonly terminal: number;
}

export interface DemoSnapshot {
  readonly phase: 'cloud' | 'booting' | 'releasing' | 'rolling-out' | 'done';
  readonly elapsedMs: number;
  /** The web console's URL, once it listens. */
  readonly consoleUrl?: string;
  readonly devices: number;
  readonly provisioned: number;
  readonly provisionedNow: number;
  readonly online: number;
  readonly version?: string;
  readonly releaseId?: string;
  readonly rollout?: RolloutRecord;
  readonly stages: readonly StageProgress[];
  readonly events: readonly RolloutEvent[];
}

export interface DemoResult {
  readonly ok: boolean;
  /** BullMQ prefix the rollout lives under (`FLEET_QUEUE_PREFIX` for `fleet rollout status`). */
  readonly queuePrefix: string;
  readonly problems: readonly string[];
  readonly version: string;
  readonly releaseId: string;
  readonly expectation: RolloutExpectation;
  readonly snapshot: DemoSnapshot;
  readonly devices: readonly DeviceStatus[];
  /** The firmware's fleet-device processes and their job execution status in the fleet stage. */
  readonly firmware: readonly { readonly thingName: string; readonly status: string }[];
  readonly timings: { readonly cloudMs: number; readonly bootMs: number; readonly rolloutMs: number; readonly totalMs: number };
}

/** A running demo: stop it (or leave it up with `--keep-running`). */
export interface FleetDemo {
  readonly cloud: LocalCloud;
  readonly result: DemoResult;
  stop(): Promise<void>;
}

const terminalCount = (c: JobExecutionCounts): number =>
  c.succeeded + c.failed + c.rejected + c.timedOut + c.canceled + c.removed;

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** N+1: one patch above the newest version the devices run or the plan's groups were given. */
async function nextVersion(fleet: VirtualFleet, releases: ReleaseStore, groups: readonly string[]): Promise<string> {
  const versions = fleet.statuses().map(s => s.version).filter(v => semver.valid(v));
  for (const g of groups) {
    const record = await releases.getGroupRecord(g);
    if (record) versions.push(record.version);
  }
  const newest = versions.sort(semver.rcompare)[0] ?? '1.0.0';
  return semver.inc(newest, 'patch')!;
}

export async function runFleetDemo(options: FleetDemoOptions): Promise<FleetDemo> {
  const t0 = Date.now();
  const planText = readFileSync(options.planFile, 'utf8');
  const plan: RolloutPlan = parseRolloutPlan(planText);
  const stop: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const s of stop.reverse()) await s().catch(() => undefined);
  };
  let snapshot: DemoSnapshot = { phase: 'cloud', elapsedMs: 0, devices: options.devices, provisioned: 0, provisionedNow: 0, online: 0, stages: [], events: [] };
  const emit = (change: Partial<DemoSnapshot>) => {
    snapshot = { ...snapshot, ...change, elapsedMs: Date.now() - t0 };
    options.onProgress?.(snapshot);
  };
  try {
    emit({});
    // The jobs engine ticks every 200 ms (rollout pacing, timeouts) instead of every second.
    const cloud = await startLocalCloud({ stateDir: options.cloudStateDir, env: 'dev', mqttPort: 0, services: [s3Service(), kmsService(), iotService({ tickMs: 200 })] });
    stop.push(() => cloud.close());
    const cloudMs = Date.now() - t0;

    const config = loadWorkerConfig({
      localStateDir: options.cloudStateDir,
      environment: { ...process.env, REDIS_URL: options.redisUrl, FLEET_QUEUE_PREFIX: options.queuePrefix ?? `fleet-${cloud.config.credentials.accessKeyId.toLowerCase()}`, FLEET_GATE_POLL_SECONDS: '0.5' },
    });
    const clients: AwsClients = createAwsClients(config);
    stop.push(async () => clients.destroy());
    const worker: FleetWorker = await startFleetWorker({ config, log: createRootLogger(process.env.FLEET_LOG_LEVEL ?? 'silent') });
    stop.push(() => worker.close());
    const queues = new FleetQueues(config);
    stop.push(() => queues.close());
    if (options.console) {
      const { startDemoConsole } = await import('./start-console');
      const server = await startDemoConsole({ configPath: cloud.configPath, redisUrl: options.redisUrl, queuePrefix: config.queuePrefix, ...options.console });
      stop.push(() => server.close());
      emit({ consoleUrl: server.url });
    }

    // The virtual fleet boots and provisions itself.
    emit({ phase: 'booting' });
    const target = await loadSimTarget({ localStateDir: options.cloudStateDir });
    const fleet = new VirtualFleet({ target, stateDir: options.simStateDir, devices: options.devices, mix: options.mix, seed: options.seed, concurrency: options.bootConcurrency });
    stop.push(() => fleet.close());
    let booted = 0;
    let provisionedNow = 0;
    await fleet.start(status => {
      booted += status.phase === 'error' ? 0 : 1;
      provisionedNow += status.provisionedNow ? 1 : 0;
      emit({ provisioned: booted, provisionedNow, online: booted });
    });
    const bootMs = Date.now() - t0 - cloudMs;
    const boot = fleet.statuses();
    const failedBoots = boot.filter(s => s.phase === 'error');
    if (failedBoots.length > 0) throw new Error(`${failedBoots.length} devices did not boot, e.g. ${failedBoots[0].serial}: ${failedBoots[0].error}`);

    // The firmware's own POSIX build joins the fleet stage, when it was built.
    let firmware: { thingNames: readonly string[] } = { thingNames: [] };
    if ((options.firmwareDevices ?? 0) > 0 && options.fleetDeviceBinary) {
      const { startFirmwareDevices } = await import('./firmware-devices');
      const started = await startFirmwareDevices({
        binary: options.fleetDeviceBinary,
        cloud: cloud.config,
        count: options.firmwareDevices!,
        stateDir: options.firmwareStateDir ?? join(options.simStateDir, '../firmware'),
        updatePublicKey: target.updatePublicKey,
        thingNamePrefix: target.thingNamePrefix,
      });
      stop.push(() => started.stop());
      firmware = started;
    }

    // Thing groups for the plan's stages: canary first, the rest in fleet.
    const canaryCount = Math.max(2, Math.round(options.devices * 0.05));
    const members: Record<string, Behaviour[]> = { canary: [], fleet: [] };
    const groupOf = (i: number) => (i < canaryCount ? 'canary' : 'fleet');
    // Start the stage groups empty: things of earlier runs (another --devices, firmware devices
    // not started now) must not be targets. The local control plane does not serve
    // RemoveThingFromThingGroup yet, so the membership is edited in the local cloud's registry.
    const stageGroups = new Set(['canary', 'fleet'].map(g => thingGroupName(config.thingGroupPrefix, g)));
    for (const thing of cloud.registry.listThings()) {
      if (!thing.thingGroupNames.some(g => stageGroups.has(g))) continue;
      cloud.registry.putThing({ thingName: thing.thingName, thingTypeName: thing.thingTypeName, attributes: thing.attributes, thingGroupNames: thing.thingGroupNames.filter(g => !stageGroups.has(g)) });
    }
    await inParallel(boot.map((s, i) => ({ s, i })), 16, async ({ s, i }) => {
      await clients.iot.send(new AddThingToThingGroupCommand({ thingName: s.thingName!, thingGroupName: thingGroupName(config.thingGroupPrefix, groupOf(i)) }));
    });
    for (const thingName of firmware.thingNames)
      await clients.iot.send(new AddThingToThingGroupCommand({ thingName, thingGroupName: thingGroupName(config.thingGroupPrefix, 'fleet') }));
    boot.forEach((s, i) => members[groupOf(i)].push(s.behaviour));
    for (const _ of firmware.thingNames) members.fleet.push('healthy');
    const expectation = expectRollout(plan, members);

    // Release N+1.
    emit({ phase: 'releasing' });
    const releases = new ReleaseStore(clients.s3, config.firmwareBucket);
    const groups = [...new Set(plan.stages.flatMap(s => s.targets.map(t => thingGroupName(config.thingGroupPrefix, t))))];
    const version = await nextVersion(fleet, releases, groups);
    const { releaseId } = await queues.submitRelease({ file: options.imageFile, version, planText });
    emit({ phase: 'rolling-out', version, releaseId });
    const rolloutStart = Date.now();

    // Watch until the rollout reached its end.
    const deadline = t0 + (options.timeoutMs ?? 120_000);
    const problems: string[] = [];
    const stageTargets = (name: string) => plan.stages.find(s => s.name === name)!.targets.reduce((a, t) => a + (members[t]?.length ?? 0), 0);
    let canceledSince: number | undefined;
    for (;;) {
      const rollout = (await queues.rollouts.get(releaseId)) ?? undefined;
      const events = rollout ? await queues.rollouts.events(releaseId) : [];
      const stages: StageProgress[] = [];
      for (const stage of plan.stages) {
        const record = rollout?.stages[stage.name];
        let details: JobProcessDetails | undefined;
        let jobStatus: string | undefined;
        if (record?.jobId) {
          const job = (await clients.iot.send(new DescribeJobCommand({ jobId: record.jobId }))).job;
          details = job?.jobProcessDetails;
          jobStatus = job?.status;
        }
        const counts = countsFromJobProcessDetails(details);
        const terminal = terminalCount(counts);
        const targets = stageTargets(stage.name);
        stages.push({
          ...counts,
          name: stage.name,
          state: jobStatus === 'CANCELED' ? 'canceled' : record?.state === 'started' && terminal === targets ? 'finished' : (record?.state ?? 'waiting'),
          jobId: record?.jobId,
          targets,
          terminal,
        });
      }
      emit({ rollout, stages, events });
      const settled = fleet.statuses().every(s => s.phase !== 'downloading' && s.phase !== 'rebooting');
      const started = stages.filter(s => s.jobId);
      const allStagesDone = started.length > 0 && started.every(s => s.state === 'canceled' || s.terminal === s.targets);
      // A stage job the engine canceled (abort criteria): the worker's gate records the abort at
      // its next poll; give it 10 s (the rollout of the last, ungated stage stays "completed").
      if (started.some(s => s.state === 'canceled')) canceledSince ??= Date.now();
      const ended = rollout?.state === 'aborted' || (rollout?.state === 'completed' && allStagesDone) || (canceledSince !== undefined && Date.now() - canceledSince > 10_000);
      if (ended && settled) break;
      if (Date.now() > deadline) {
        problems.push(`time limit: the rollout did not reach its end within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s (state ${rollout?.state ?? 'not dispatched'}; ${stages.map(s => `${s.name} ${s.state}: ${s.succeeded} succeeded, ${s.failed + s.rejected} failed, ${s.inProgress} in progress, ${s.queued} queued of ${s.targets}`).join('; ')}; devices ${JSON.stringify(fleet.countByPhase())})`);
        break;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    const rolloutMs = Date.now() - rolloutStart;
    emit({ phase: 'done' });

    // Compare with what the plan and the behaviours predict.
    // A stage job the jobs engine canceled (abort criteria) stops the rollout as a gate would.
    const actual = snapshot.stages.some(s => s.state === 'canceled') ? 'aborted' : snapshot.rollout?.state;
    if (actual !== expectation.state) problems.push(`rollout ended ${actual ?? 'nowhere'}, expected ${expectation.state} (${expectation.stages.map(s => `${s.stage}: ${s.end}`).join(', ')})`);
    const devices = fleet.statuses();
    const touched = new Set(snapshot.stages.filter(s => s.jobId).map(s => s.name));
    // No device may run an image other than the one it left the factory with or the verified release.
    const manifest = await releases.getManifest(releaseId);
    devices.forEach((d, i) => {
      if (d.runningSha256 !== 'factory' && d.version === version && d.runningSha256 !== manifest?.sha256)
        problems.push(`${d.thingName} (${d.behaviour}) runs ${d.runningSha256}, not the released image ${manifest?.sha256}`);
      if (d.version === version && !EXPECTED_OUTCOME[d.behaviour].updated)
        problems.push(`${d.thingName} (${d.behaviour}) runs ${version} although that update should never have been installed`);
      if (!touched.has(groupOf(i)) || expectation.state === 'aborted') return; // not (or not surely) offered the job
      const want = EXPECTED_OUTCOME[d.behaviour];
      const got = d.phase === 'succeeded' ? 'SUCCEEDED' : d.phase === 'failed' ? 'FAILED' : d.phase === 'rejected' ? 'REJECTED' : d.phase;
      if (got !== want.status || d.reason !== want.reason || d.version !== (want.updated ? version : d.version))
        problems.push(`${d.thingName} (${d.behaviour}) ended ${got}${d.reason ? ` ${d.reason}` : ''}${d.error ? ` (${d.error})` : ''}, expected ${want.status}${want.reason ? ` ${want.reason}` : ''}`);
    });
    const fleetJob = snapshot.stages.find(s => s.name === 'fleet')?.jobId;
    const firmwareOutcomes = await Promise.all(
      firmware.thingNames.map(async thingName => {
        if (!fleetJob) return { thingName, status: 'no job' };
        const out = await clients.iot.send(new DescribeJobExecutionCommand({ jobId: fleetJob, thingName })).catch((e: Error) => ({ execution: { status: e.name } }));
        return { thingName, status: String(out.execution?.status) };
      }),
    );
    if (expectation.state === 'completed')
      for (const f of firmwareOutcomes) if (f.status !== 'SUCCEEDED') problems.push(`fleet-device ${f.thingName} ended ${f.status}, expected SUCCEEDED`);
    const result: DemoResult = {
      firmware: firmwareOutcomes,
      ok: problems.length === 0,
      queuePrefix: config.queuePrefix,
      problems,
      version,
      releaseId,
      expectation,
      snapshot,
      devices,
      timings: { cloudMs, bootMs, rolloutMs, totalMs: Date.now() - t0 },
    };
    return { cloud, result, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Where `npm start` keeps its state, relative to the repository. */
export function defaultStateDirs(repoRoot: string): { cloud: string; sim: string } {
  return { cloud: join(repoRoot, '.fleet/local'), sim: join(repoRoot, '.fleet/sim') };
}
