/**
 * `fleet worker`: runs the BullMQ processors (build, dispatch, advance) until SIGTERM/SIGINT, then
 * lets the jobs in progress finish and exits. Logs are JSON lines (pino) on stdout.
 *
 * Also exports the configuration options every worker-facing command shares (`--local`, `--env`).
 */
import type { Command } from 'commander';
import type { WorkerConfig } from '../../worker/config/worker-config';

export interface ConfigOptions {
  local?: string;
  env?: string;
}

/** Adds `--local` and `--env` to a command. */
export function withConfigOptions(command: Command): Command {
  return command
    .option(
      '--local <state-dir>',
      'use the local cloud whose state dir this is (its local-cloud.json); default: FLEET_LOCAL_CLOUD, else .fleet/local if present, else AWS from the environment',
    )
    .option(
      '--env <name>',
      'environment whose stack resources to use (bucket, keys, groups)',
      process.env.FLEET_ENV ?? 'dev',
    );
}

/** The checked configuration, or exit 2 with the problem. */
export async function configFor(options: ConfigOptions, command: Command): Promise<WorkerConfig> {
  const { loadWorkerConfig } = await import('../../worker/config/load-worker-config');
  try {
    return loadWorkerConfig({ localStateDir: options.local, env: options.env });
  } catch (error) {
    command.error(`${command.name()}: ${(error as Error).message}`, { exitCode: 2 });
    throw error;
  }
}

export function registerWorkerCommand(program: Command): void {
  withConfigOptions(
    program
      .command('worker')
      .description(
        'Run the release and rollout worker: builds (validate, sign, store in S3), dispatches stages as AWS IoT jobs and ' +
          'evaluates promotion gates. Redis from REDIS_URL (default redis://127.0.0.1:6379). Stops gracefully on SIGTERM/SIGINT. ' +
          'Settings: FLEET_QUEUE_PREFIX, FLEET_STALLED_SECONDS (stalled-job check, default 30), FLEET_GATE_POLL_SECONDS, FLEET_WORKER_CONCURRENCY, FLEET_LOG_LEVEL, and on AWS ' +
          'AWS_REGION, FLEET_ACCOUNT_ID, FLEET_FIRMWARE_BUCKET, FLEET_SECURE_BOOT_KEY, FLEET_UPDATE_KEY, FLEET_PRESIGN_ROLE_ARN.',
      ),
  ).action(async (options: ConfigOptions, command: Command) => {
    const config = await configFor(options, command);
    const [{ startFleetWorker }, { createRootLogger }] = await Promise.all([
      import('../../worker/fleet-worker'),
      import('../../worker/logging/logger'),
    ]);
    const log = createRootLogger();
    const stalled = Number(process.env.FLEET_STALLED_SECONDS ?? 30);
    const worker = await startFleetWorker({
      config,
      log,
      stalledIntervalSeconds: Number.isFinite(stalled) && stalled > 0 ? stalled : 30,
    });
    await new Promise<void>(resolve => {
      const stop = (signal: string): void => {
        log.info({ signal }, 'shutting down: finishing jobs in progress');
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await worker.close();
    process.exit(0);
  });
}
