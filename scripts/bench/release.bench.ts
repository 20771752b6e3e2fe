/**
 * `npm run bench -- release`: the worker's release pipeline on the local cloud (S3, KMS and the
 * IoT control plane of `local/`), with BullMQ on the shared Redis (its own key prefix, removed at
 * the end).
 *
 * 1. Releases built per second for a 1.5 MB image: validate + Secure Boot V2 sign + detached
 *    signature (local KMS) + upload to the local S3 + manifest, through the `build` queue (worker
 *    concurrency 4). Beside it, in the same run, the parts no pipeline can skip, each alone:
 *    `signRelease` of the same image with the same KMS keys, and a plain `PutObject` of the signed
 *    bytes. The limit is one release per (sign + put); the ratio shows what queueing, checks and
 *    the manifest cost. (Issue 8 sets no number for this; it is reported.)
 * 2. Time from `fleet release` (a new CLI process) to the first AWS IoT job existing on the control
 *    plane, with a worker already running; beside it, the CLI's own start (`fleet --help`).
 * 3. AWS calls the worker makes to dispatch a one-stage plan to a thing group of 10 things and to
 *    one of 100,000 (registered in the local registry): they must be the same (PASS/MISS).
 *
 * The worker is a `fleet worker` child process (as in production); its IoT calls go through a
 * counting HTTP proxy in front of the local control plane.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateThingGroupCommand, DescribeJobCommand } from '@aws-sdk/client-iot';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { iotService } from '../../local/control-plane/iot-service';
import { kmsService } from '../../local/kms/kms-service';
import { startLocalCloud } from '../../local/local-cloud';
import { s3Service } from '../../local/s3/s3-service';
import { releaseIdOf } from '../../ota/release-manifest';
import { signRelease } from '../../ota/signing/sign-release';
import { cleanupRedis } from '../../test/utils/cleanup-redis';
import { repoRoot } from '../../test/utils/fixtures';
import { syntheticAppImage } from '../../test/utils/synthetic-app-image';
import { createAwsClients } from '../../worker/clients/aws-clients';
import { loadWorkerConfig } from '../../worker/config/load-worker-config';
import { FleetQueues } from '../../worker/fleet-queues';
import { DEFAULT_JOB_OPTIONS, jobIds, QUEUE_NAMES, type BuildJobData } from '../../worker/queues';
import { createSigners } from '../../worker/release/create-signers';

const IMAGE_SIZE = 1_500_000;
const BUILDS = 16;
const CLI_RUNS = 3;
const BIG_GROUP = 100_000;

const ms = (ns: bigint) => Number(ns) / 1e6;
const now = () => process.hrtime.bigint();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const stateDir = mkdtempSync(join(tmpdir(), 'fleet-release-bench-'));
const prefix = `bench-${randomUUID()}`;
// The jobs engine's time-driven work (rollout pacing over 100,000 queued executions) is left out:
// it is the local cloud's cost, and this benchmark measures the worker.
const cloud = await startLocalCloud({
  stateDir,
  mqttPort: 0,
  services: [s3Service(), kmsService(), iotService({ tickMs: 3_600_000 })],
});
const environment = {
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  FLEET_QUEUE_PREFIX: prefix,
  FLEET_GATE_POLL_SECONDS: '5',
};
const config = loadWorkerConfig({ localStateDir: stateDir, environment });
const clients = createAwsClients(config);
const iotCalls: string[] = [];
/** Names the control-plane operation of a REST request (the routes `@aws-sdk/client-iot` uses). */
function operationOf(method: string, path: string): string {
  if (/^\/jobs\/[^/]+\/cancel$/.test(path)) return 'CancelJob';
  if (/^\/jobs\/[^/]+$/.test(path))
    return method === 'PUT'
      ? 'CreateJob'
      : method === 'GET'
        ? 'DescribeJob'
        : `${method} /jobs/{id}`;
  if (path === '/indices/statistics') return 'GetStatistics';
  if (path === '/indices/search') return 'SearchIndex';
  return `${method} ${path}`;
}
const upstream = new URL(cloud.config.endpoints.iot!);
const proxy = createServer((req, res) => {
  iotCalls.push(operationOf(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname));
  const forward = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    up => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  forward.on('error', error => res.destroy(error));
  req.pipe(forward);
});
await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
const workerEnv = {
  ...process.env,
  ...environment,
  FLEET_IOT_ENDPOINT: proxyUrl,
  FLEET_LOG_LEVEL: 'warn',
};
const worker: ChildProcess = spawn(
  process.execPath,
  ['--import', 'tsx', join(repoRoot, 'scripts/fleet.ts'), 'worker', '--local', stateDir],
  { env: workerEnv, stdio: ['ignore', 'ignore', 'inherit'] },
);
const queues = new FleetQueues(config);
const image = syntheticAppImage(IMAGE_SIZE, 3);
const imageFile = join(stateDir, 'app-1.5mb.bin');
writeFileSync(imageFile, image);
const sourceSha256 = createHash('sha256').update(image).digest('hex');
const planText = (target: string) =>
  JSON.stringify({ name: 'bench', stages: [{ name: 'all', targets: [target] }] });

// The things are registered first, while no job exists (the local jobs engine looks at every
// thing change for continuous jobs; that is its cost, not the worker's).
const groups = { small: 'esp32-fleet-dev-bench-10', big: 'esp32-fleet-dev-bench-100k' };
for (const name of Object.values(groups))
  await clients.iot.send(new CreateThingGroupCommand({ thingGroupName: name }));
const r0 = now();
for (let i = 0; i < BIG_GROUP; i++)
  cloud.registry.putThing({ thingName: `bench-big-${i}`, thingGroupNames: [groups.big] });
for (let i = 0; i < 10; i++)
  cloud.registry.putThing({ thingName: `bench-small-${i}`, thingGroupNames: [groups.small] });
const registerMs = ms(now() - r0);

try {
  // 1. Builds per second.
  const waitAll = async (ids: string[]) => {
    for (;;) {
      const states = await Promise.all(
        ids.map(async id => (await queues.queues.build.getJob(id))?.getState()),
      );
      if (states.includes('failed'))
        throw new Error(
          `a build failed: ${(await queues.queues.build.getJob(ids[states.indexOf('failed')]))?.failedReason}`,
        );
      if (states.every(s => s === 'completed')) return;
      await new Promise(r => setTimeout(r, 10));
    }
  };
  const add = (version: string) => {
    const releaseId = releaseIdOf({ version, source: { sha256: sourceSha256 } });
    const data: BuildJobData = {
      releaseId,
      source: { kind: 'file', path: imageFile },
      fileName: 'app.bin',
      sourceSha256,
      version,
      chip: 'esp32',
      plan: planText('canary'),
      dispatch: false,
    };
    return queues.queues.build
      .add('build', data, { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.build(releaseId) })
      .then(j => j.id!);
  };
  await waitAll([await add('100.0.0')]); // warm-up: KMS public keys, connections
  const t0 = now();
  const ids = await Promise.all(Array.from({ length: BUILDS }, (_, i) => add(`100.1.${i}`)));
  await waitAll(ids);
  const buildMs = ms(now() - t0);
  const perSecond = (BUILDS * 1000) / buildMs;

  const signers = await createSigners(config, clients.kms);
  const signTimes: number[] = [];
  const putTimes: number[] = [];
  let signed = Buffer.alloc(0);
  for (let i = 0; i < 5; i++) {
    const pieces: Uint8Array[] = [];
    const s = now();
    await signRelease([image], {
      ...signers,
      targetChip: 'esp32',
      write: p => void pieces.push(Buffer.from(p)),
    });
    signTimes.push(ms(now() - s));
    signed = Buffer.concat(pieces);
    const p = now();
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: config.firmwareBucket,
        Key: `bench/plain-${i}.bin`,
        Body: signed,
      }),
    );
    putTimes.push(ms(now() - p));
  }
  const limitPerSecond = 1000 / (median(signTimes) + median(putTimes));
  console.log(
    `builds of a ${(IMAGE_SIZE / 1e6).toFixed(1)} MB image (validate+sign with local KMS+upload+manifest, ${BUILDS} through the queue, concurrency ${config.concurrency}):`,
  );
  console.log(
    `  pipeline            ${perSecond.toFixed(1)} releases/s  (${(buildMs / BUILDS).toFixed(0)} ms each on average)`,
  );
  console.log(
    `  baseline sign only  ${median(signTimes).toFixed(0)} ms (signRelease, same KMS keys, median of 5)`,
  );
  console.log(
    `  baseline put only   ${median(putTimes).toFixed(0)} ms (PutObject of the ${signed.length} signed bytes, median of 5)`,
  );
  console.log(
    `  limit (sign + put, one at a time) ${limitPerSecond.toFixed(1)} releases/s → pipeline ${(perSecond / limitPerSecond).toFixed(2)}× of it (no target in issue 8)`,
  );

  // 2. `fleet release` → first job created.
  const cliEnv = { ...process.env, ...environment, FLEET_LOG_LEVEL: 'silent' };
  const planFile = join(repoRoot, 'plans/canary-then-fleet.json');
  const helpTimes: number[] = [];
  const firstJobTimes: number[] = [];
  const breakdown: string[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const h = now();
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/fleet.ts'), '--help'], {
      env: cliEnv,
      stdio: 'ignore',
    });
    helpTimes.push(ms(now() - h));
    const version = `200.0.${i}`;
    const jobId = `${releaseIdOf({ version, source: { sha256: sourceSha256 } })}-canary`;
    const s = now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'scripts/fleet.ts'),
        'release',
        imageFile,
        '--version',
        version,
        '--plan',
        planFile,
        '--detach',
      ],
      { env: cliEnv, stdio: 'ignore' },
    );
    for (;;) {
      const found = await clients.iot.send(new DescribeJobCommand({ jobId })).then(
        () => true,
        () => false,
      );
      if (found) break;
      if (child.exitCode !== null && child.exitCode !== 0)
        throw new Error(`fleet release exited ${child.exitCode}`);
      await new Promise(r => setTimeout(r, 10));
    }
    firstJobTimes.push(ms(now() - s));
    const releaseId = jobId.slice(0, -'-canary'.length);
    const b = await queues.queues.build.getJob(jobIds.build(releaseId));
    const d = await queues.queues.dispatch.getJob(jobIds.dispatch(releaseId));
    if (b && d) {
      const wallStart = Date.now() - firstJobTimes[i]; // approximately: the clocks are the same
      breakdown.push(
        `run ${i + 1}: queued +${b.timestamp - wallStart} ms, build ${b.finishedOn! - b.processedOn!} ms (picked up after ${b.processedOn! - b.timestamp} ms), dispatch picked up after ${d.processedOn! - d.timestamp} ms`,
      );
    }
  }
  console.log(
    `time from \`fleet release\` (new process) to the first AWS IoT job on the control plane, worker running:`,
  );
  console.log(
    `  fleet release → CreateJob done   ${median(firstJobTimes).toFixed(0)} ms (median of ${CLI_RUNS}: ${firstJobTimes.map(t => t.toFixed(0)).join(', ')})`,
  );
  console.log(
    `  baseline: fleet --help            ${median(helpTimes).toFixed(0)} ms (node + tsx + commander start)`,
  );
  for (const line of breakdown) console.log(`    ${line}`);

  // 3. AWS calls per stage: 10 things vs 100,000 things.
  /**
   * The IoT calls the worker issues from the moment the release is queued until its dispatch job
   * finishes, or until `limitMs` (the proxy counts a call when it arrives, so a CreateJob that the
   * local control plane is still fanning out is counted already; the worker makes no IoT call
   * after it for a stage without a gate).
   */
  const counted = async (group: string, version: string, limitMs: number) => {
    const before = iotCalls.length;
    const releaseId = releaseIdOf({ version, source: { sha256: sourceSha256 } });
    const start = now();
    await queues.submitRelease({ file: imageFile, version, planText: planText(group) });
    let finished = false;
    while (ms(now() - start) < limitMs) {
      const d = await queues.queues.dispatch.getJob(jobIds.dispatch(releaseId));
      if (d && ['completed', 'failed'].includes(await d.getState())) {
        finished = true;
        break;
      }
      await new Promise(r => setTimeout(r, 20));
    }
    const calls: Record<string, number> = {};
    for (const c of iotCalls.slice(before)) calls[c] = (calls[c] ?? 0) + 1;
    return { calls, finished, seconds: ms(now() - start) / 1000 };
  };
  const small = await counted(groups.small, '300.0.0', 60_000);
  const big = await counted(groups.big, '300.0.1', 25_000);
  const same = JSON.stringify(small.calls) === JSON.stringify(big.calls);
  const note = (r: typeof small) =>
    r.finished
      ? `dispatched in ${r.seconds.toFixed(1)} s`
      : `the local control plane was still answering CreateJob (fanning out) after ${r.seconds.toFixed(0)} s`;
  console.log(
    `AWS IoT calls to build and dispatch a one-stage rollout (${BIG_GROUP.toLocaleString('en')} things registered in ${(registerMs / 1000).toFixed(1)} s):`,
  );
  console.log(`  group of 10 things       ${JSON.stringify(small.calls)}  (${note(small)})`);
  console.log(
    `  group of ${BIG_GROUP.toLocaleString('en')} things  ${JSON.stringify(big.calls)}  (${note(big)})`,
  );
  console.log(
    `  same calls for both: ${same ? 'PASS' : 'MISS'} (target: equal; AWS fans a job out to a group's members)`,
  );
  if (!same) process.exitCode = 1;
} finally {
  const exited = new Promise(resolve => worker.once('exit', resolve));
  worker.kill('SIGTERM');
  await exited;
  proxy.close();
  await queues.close();
  clients.destroy();
  await cloud.close();
  await cleanupRedis(prefix, Object.values(QUEUE_NAMES));
  rmSync(stateDir, { recursive: true, force: true });
}
