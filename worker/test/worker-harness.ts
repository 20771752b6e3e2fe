/**
 * Test harness for the worker: the local cloud (S3 and KMS from the synthesized `dev` stack) in a
 * temporary state dir, the recording IoT control plane (`test/utils/recording-iot-server.ts`),
 * and per test a fresh Redis key prefix, thing group prefix and configuration as `fleet worker`
 * would load it from `local-cloud.json`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Job, Queue } from 'bullmq';
import { kmsService } from '../../local/kms/kms-service';
import { startLocalCloud } from '../../local/local-cloud';
import type { LocalCloud } from '../../local/local-cloud-config';
import { s3Service } from '../../local/s3/s3-service';
import { cleanupRedis, testPrefix } from '../../test/utils/cleanup-redis';
import {
  startRecordingIotServer,
  type RecordingIotServer,
} from '../../test/utils/recording-iot-server';
import { createAwsClients, type AwsClients } from '../clients/aws-clients';
import { loadWorkerConfig } from '../config/load-worker-config';
import type { WorkerConfig } from '../config/worker-config';
import { FleetQueues } from '../fleet-queues';
import { startFleetWorker, type FleetWorker } from '../fleet-worker';
import { createRootLogger } from '../logging/logger';
import { QUEUE_NAMES } from '../queues';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** The local cloud, started once per test file. */
export async function startCloud(): Promise<{
  cloud: LocalCloud;
  stateDir: string;
  stop(): Promise<void>;
}> {
  const stateDir = mkdtempSync(join(tmpdir(), 'fleet-worker-cloud-'));
  const cloud = await startLocalCloud({
    stateDir,
    mqttPort: 0,
    services: [s3Service(), kmsService()],
  });
  return {
    cloud,
    stateDir,
    async stop() {
      await cloud.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface WorkerTestEnv {
  readonly prefix: string;
  readonly environment: Record<string, string>;
  readonly config: WorkerConfig;
  readonly iot: RecordingIotServer;
  readonly clients: AwsClients;
  readonly queues: FleetQueues;
  /** Starts an in-process worker (closed by `cleanup`). */
  startWorker(): Promise<FleetWorker>;
  /** Keys under `firmware/` in the bucket. */
  firmwareKeys(): Promise<string[]>;
  cleanup(): Promise<void>;
}

let counter = 0;

/** A fresh environment for one test against a running local cloud. */
export async function workerTestEnv(
  stateDir: string,
  overrides: Record<string, string> = {},
): Promise<WorkerTestEnv> {
  const prefix = testPrefix();
  const iot = await startRecordingIotServer();
  counter += 1;
  const environment = {
    REDIS_URL,
    FLEET_QUEUE_PREFIX: prefix,
    FLEET_IOT_ENDPOINT: iot.endpoint,
    FLEET_GATE_POLL_SECONDS: '0.2',
    FLEET_THING_GROUP_PREFIX: `t${process.pid}-${counter}-`,
    FLEET_LOG_LEVEL: 'silent',
    ...overrides,
  };
  const config = loadWorkerConfig({ localStateDir: stateDir, environment });
  const clients = createAwsClients(config);
  const queues = new FleetQueues(config);
  const workers: FleetWorker[] = [];
  return {
    prefix,
    environment,
    config,
    iot,
    clients,
    queues,
    async startWorker() {
      const worker = await startFleetWorker({
        config,
        log: createRootLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
        stalledIntervalSeconds: 2,
      });
      workers.push(worker);
      return worker;
    },
    async firmwareKeys() {
      const out = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: config.firmwareBucket, Prefix: 'firmware/' }),
      );
      return (out.Contents ?? []).map(o => o.Key!).sort();
    },
    async cleanup() {
      await Promise.all(workers.map(w => w.close()));
      await queues.close();
      clients.destroy();
      await iot.close();
      await cleanupRedis(prefix, Object.values(QUEUE_NAMES));
    },
  };
}

/** Waits until the job reaches one of `states` (default: completed or failed); returns it fresh. */
export async function waitForJob(
  queue: Queue,
  jobId: string,
  states: readonly string[] = ['completed', 'failed'],
  timeoutMs = 30_000,
): Promise<Job> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(jobId);
    // Read the job again once its state matches: the first read may predate the move to that
    // state (a failed job's `failedReason` is written in the same step as the state).
    if (job && states.includes(await job.getState())) return (await queue.getJob(jobId)) ?? job;
    if (Date.now() > end)
      throw new Error(
        `job ${jobId} did not reach ${states.join('/')} within ${timeoutMs} ms (state ${job ? await job.getState() : 'missing'})`,
      );
    await new Promise(r => setTimeout(r, 50));
  }
}

/** Waits until `check` returns a value that is not undefined. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}
