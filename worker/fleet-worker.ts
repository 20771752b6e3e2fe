/**
 * The worker process: one BullMQ `Worker` per queue (`build`, `dispatch`, `advance`) with the
 * processors, sharing one Redis connection setup and the injected AWS clients.
 *
 * Lifecycle (BullMQ `guide/going-to-production.md`): `maxRetriesPerRequest: null` so commands wait
 * for Redis to come back instead of failing (a Redis restart is survived); an `error` listener on
 * every worker; stalled-job recovery on (a job whose worker died is moved back to wait after
 * `stalledInterval` and retried, at most `maxStalledCount` times); `close()` waits for the jobs in
 * progress to finish (`fleet worker` calls it on SIGTERM/SIGINT).
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { createAwsClients, type AwsClients } from './clients/aws-clients';
import type { WorkerConfig } from './config/worker-config';
import { moduleLogger, type Logger } from './logging/logger';
import { advanceProcessor } from './processors/advance';
import { buildProcessor } from './processors/build';
import { dispatchProcessor } from './processors/dispatch';
import type { ProcessorContext } from './processors/processor-context';
import { QUEUE_NAMES } from './queues';
import { redisConnection } from './redis-connection';
import { createSigners, type ReleaseSigners } from './release/create-signers';
import { ReleaseStore } from './release/release-store';
import { RolloutStore } from './rollout/rollout-store';

export interface FleetWorkerOptions {
  readonly config: WorkerConfig;
  readonly log: Logger;
  /** @defaultValue clients made from `config` */
  readonly clients?: AwsClients;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Seconds before a job whose lock was not renewed counts as stalled. @defaultValue 30 */
  readonly stalledIntervalSeconds?: number;
}

export interface FleetWorker {
  readonly workers: readonly Worker[];
  /** Waits for the jobs in progress, then disconnects. */
  close(): Promise<void>;
}

/** Starts the three workers. */
export async function startFleetWorker(options: FleetWorkerOptions): Promise<FleetWorker> {
  const { config } = options;
  const log = moduleLogger(options.log, 'worker');
  const clients = options.clients ?? createAwsClients(config);
  const redis = redisConnection(config.redisUrl);
  redis.on('error', error =>
    log.warn({ err: error.message }, 'redis connection error (reconnecting)'),
  );
  const connection = redis as unknown as ConnectionOptions;
  const prefix = config.queuePrefix;
  const queues = {
    dispatch: new Queue(QUEUE_NAMES.dispatch, { connection, prefix }),
    advance: new Queue(QUEUE_NAMES.advance, { connection, prefix }),
  };
  for (const queue of Object.values(queues)) {
    queue.on('error', error =>
      log.warn({ queue: queue.name, err: error.message }, 'queue error (reconnecting)'),
    );
  }
  let signers: Promise<ReleaseSigners> | undefined;
  const base = {
    config,
    clients,
    releases: new ReleaseStore(clients.s3, config.firmwareBucket),
    rollouts: new RolloutStore(redis, prefix),
    queues,
    signers: () => (signers ??= createSigners(config, clients.kms)),
    now: options.now ?? Date.now,
  };
  const ctx = (module: string): ProcessorContext => ({
    ...base,
    log: moduleLogger(options.log, module),
  });
  const common = {
    connection,
    prefix,
    concurrency: config.concurrency,
    stalledInterval: (options.stalledIntervalSeconds ?? 30) * 1000,
    lockDuration: (options.stalledIntervalSeconds ?? 30) * 1000,
    maxStalledCount: 2,
  };
  const workers = [
    new Worker(QUEUE_NAMES.build, buildProcessor(ctx('worker:build')), common),
    new Worker(QUEUE_NAMES.dispatch, dispatchProcessor(ctx('worker:dispatch')), common),
    new Worker(QUEUE_NAMES.advance, advanceProcessor(ctx('worker:advance')), common),
  ];
  for (const worker of workers) {
    const wlog = log.child({ queue: worker.name });
    worker.on('error', error => wlog.error({ err: error.message }, 'worker error'));
    worker.on('failed', (job, error) =>
      wlog.warn(
        {
          jobId: job?.id,
          job: job?.name,
          attempt: job?.attemptsMade,
          err: error.message,
          final: job
            ? job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError'
            : true,
        },
        'job failed',
      ),
    );
    worker.on('completed', job => wlog.info({ jobId: job.id, job: job.name }, 'job completed'));
    worker.on('stalled', jobId => wlog.warn({ jobId }, 'job stalled; moved back to wait'));
  }
  await Promise.all(workers.map(w => w.waitUntilReady()));
  log.info(
    {
      queues: workers.map(w => w.name),
      prefix,
      redis: config.redisUrl.replace(/\/\/[^@]*@/, '//***@'),
      config: config.source,
    },
    'worker ready',
  );
  return {
    workers,
    async close() {
      await Promise.all(workers.map(w => w.close()));
      await Promise.all([queues.dispatch.close(), queues.advance.close()]);
      redis.disconnect();
      if (!options.clients) clients.destroy();
      log.info({}, 'worker stopped');
    },
  };
}
