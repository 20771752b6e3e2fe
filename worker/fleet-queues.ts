/**
 * The producer side of the queues, for the command line and tests: submit a release, send an
 * operator action, read a rollout's status. Uses the same queue names, prefix and records as the
 * worker (`queues.ts`, `rollout/rollout-store.ts`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { releaseIdOf } from '../ota/release-manifest';
import { parseRolloutPlan } from '../ota/rollout-plan/parse-rollout-plan';
import type { WorkerConfig } from './config/worker-config';
import { redisConnection } from './redis-connection';
import {
  DEFAULT_JOB_OPTIONS,
  jobIds,
  QUEUE_NAMES,
  type BuildJobData,
  type OperatorAction,
  type QueueName,
} from './queues';
import { RolloutStore } from './rollout/rollout-store';

export interface SubmitReleaseOptions {
  readonly file: string;
  readonly version: string;
  /** The plan file's text (checked here first, so a bad plan fails before anything is queued). */
  readonly planText: string;
  /** @defaultValue `esp32` */
  readonly chip?: string;
}

export interface SubmittedRelease {
  readonly releaseId: string;
  readonly job: Job;
  /** False when the same input and version had been submitted before (the existing job is used). */
  readonly added: boolean;
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class FleetQueues {
  readonly redis: Redis;
  readonly queues: Record<QueueName, Queue>;
  readonly rollouts: RolloutStore;

  constructor(readonly config: Pick<WorkerConfig, 'redisUrl' | 'queuePrefix'>) {
    this.redis = redisConnection(config.redisUrl);
    this.redis.on('error', () => undefined); // surfaced by the failing command instead
    const connection = this.redis as unknown as ConnectionOptions;
    const prefix = config.queuePrefix;
    this.queues = {
      build: new Queue(QUEUE_NAMES.build, { connection, prefix }),
      dispatch: new Queue(QUEUE_NAMES.dispatch, { connection, prefix }),
      advance: new Queue(QUEUE_NAMES.advance, { connection, prefix }),
    };
    // Connection errors surface as the failing command's error; the events only repeat them.
    for (const queue of Object.values(this.queues)) queue.on('error', () => undefined);
    this.rollouts = new RolloutStore(this.redis, prefix);
  }

  /**
   * Queues the build of a release (deterministic job id `build-<releaseId>`: the same input and
   * version twice is one job). A failed earlier job for the same id is retried.
   * @throws PlanInvalidError for a bad plan, before anything is queued
   */
  async submitRelease(options: SubmitReleaseOptions): Promise<SubmittedRelease> {
    parseRolloutPlan(options.planText);
    const path = resolve(options.file);
    const sourceSha256 = await sha256File(path);
    const releaseId = releaseIdOf({ version: options.version, source: { sha256: sourceSha256 } });
    const jobId = jobIds.build(releaseId);
    const existing = await this.queues.build.getJob(jobId);
    if (existing) {
      if (await existing.isFailed()) await existing.retry('failed', { resetAttemptsMade: true });
      return { releaseId, job: existing, added: false };
    }
    const data: BuildJobData = {
      releaseId,
      source: { kind: 'file', path },
      fileName: basename(path),
      sourceSha256,
      version: options.version,
      chip: options.chip ?? 'esp32',
      plan: options.planText,
    };
    const job = await this.queues.build.add('build', data, { ...DEFAULT_JOB_OPTIONS, jobId });
    return { releaseId, job, added: true };
  }

  /** Queues an operator action on a rollout. */
  async operator(
    action: OperatorAction,
    rolloutId: string,
    options: { cancelQueued?: boolean; reason?: string } = {},
  ): Promise<Job> {
    if ((await this.rollouts.get(rolloutId)) === null)
      throw new Error(`no rollout ${rolloutId} (see \`fleet rollout list\`)`);
    return this.queues.advance.add(
      action,
      {
        rolloutId,
        cancelQueued: options.cancelQueued ?? false,
        ...(options.reason ? { reason: options.reason } : {}),
      },
      { ...DEFAULT_JOB_OPTIONS, jobId: `${action}-${rolloutId}-${randomUUID()}` },
    );
  }

  /** Failed jobs of every queue (kept: `removeOnFail: false`), newest first. */
  async failed(limit = 50): Promise<Job[]> {
    const all = await Promise.all(Object.values(this.queues).map(q => q.getFailed(0, limit - 1)));
    return all
      .flat()
      .sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0))
      .slice(0, limit);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map(q => q.close()));
    this.redis.disconnect();
  }
}
