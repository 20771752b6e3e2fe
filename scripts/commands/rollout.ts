/**
 * `fleet rollout`: watch and steer rollouts.
 *
 *   fleet rollout status <id> [--watch] [--json]   per stage: state, AWS job counts, gate decision; history
 *   fleet rollout pause <id> [--cancel-queued]      stop promoting and starting stages
 *   fleet rollout resume <id>
 *   fleet rollout abort <id> [--reason <text>]      cancel every AWS job of the release
 *   fleet rollout list                              recent rollouts
 *   fleet rollout failed                            failed worker jobs (kept), with their reasons
 *
 * Actions go through the worker's `advance` queue (the worker must run). Exit codes: 0 ok; 1 the
 * action failed or the rollout does not exist; 2 the command could not run.
 */
import type { Command } from 'commander';
import { configFor, withConfigOptions, type ConfigOptions } from './worker';

async function open(options: ConfigOptions, command: Command, needAws: boolean) {
  const { FleetQueues } = await import('../../worker/fleet-queues');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const queuePrefix = process.env.FLEET_QUEUE_PREFIX ?? 'fleet';
  let iot = null;
  if (needAws) {
    const config = await configFor(options, command);
    const { IoTClient } = await import('@aws-sdk/client-iot');
    iot = new IoTClient({
      region: config.region,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      ...(config.endpoints.iot ? { endpoint: config.endpoints.iot } : {}),
    });
  }
  return { queues: new FleetQueues({ redisUrl, queuePrefix }), iot };
}

export function registerRolloutCommand(program: Command): void {
  const rollout = program
    .command('rollout')
    .description(
      'Watch and steer rollouts (the rollout id is the release id printed by `fleet release`).',
    );

  withConfigOptions(
    rollout
      .command('status <id>')
      .description(
        'Per stage: state, AWS IoT job status and execution counts (queued, in progress, succeeded, failed, timed out, rejected, canceled), the gate decision and the history of decisions.',
      )
      .option('--watch', 'refresh every 2 seconds until Ctrl-C', false)
      .option('--json', 'print the status as JSON', false),
  ).action(
    async (
      id: string,
      options: ConfigOptions & { watch: boolean; json: boolean },
      command: Command,
    ) => {
      const { rolloutStatus, formatRolloutStatus } =
        await import('../../worker/rollout/rollout-status');
      const { queues, iot } = await open(options, command, true);
      let code = 0;
      try {
        for (;;) {
          const status = await rolloutStatus(queues, iot, id);
          if (status === null) {
            console.error(`rollout status: no rollout or release ${id}`);
            code = 1;
            break;
          }
          const text = options.json ? JSON.stringify(status, null, 2) : formatRolloutStatus(status);
          if (options.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
          console.log(text);
          if (!options.watch) break;
          await new Promise(r => setTimeout(r, 2000));
        }
      } finally {
        iot?.destroy();
        await queues.close();
      }
      process.exit(code);
    },
  );

  const action = (name: 'pause' | 'resume' | 'abort', description: string) => {
    const cmd = rollout
      .command(`${name} <id>`)
      .description(description)
      .option('--reason <text>', 'recorded on the rollout with the action');
    if (name === 'pause')
      cmd.option(
        '--cancel-queued',
        'also cancel the queued executions of the stages already started (resume cannot bring them back)',
        false,
      );
    cmd.option('--no-wait', 'return once the action is queued');
    cmd.action(
      async (id: string, options: { reason?: string; cancelQueued?: boolean; wait: boolean }) => {
        const { queues } = await open({}, cmd, false);
        const { runOperatorAction } = await import('../../worker/rollout/operator-action');
        let code = 0;
        try {
          const outcome = await runOperatorAction(queues, name, id, {
            reason: options.reason,
            cancelQueued: options.cancelQueued,
            wait: options.wait,
          });
          if (outcome.state === 'completed') console.log(`rollout ${id}: ${outcome.decision}`);
          else if (outcome.state === 'failed') {
            console.error(`rollout ${name}: ${outcome.reason}`);
            code = 1;
          } else console.log(`rollout ${id}: ${name} queued`);
        } catch (error) {
          console.error(`rollout ${name}: ${(error as Error).message}`);
          code = 1;
        } finally {
          await queues.close();
        }
        process.exit(code);
      },
    );
  };
  action(
    'pause',
    'Stop promoting: no further stage starts until resume (gates keep watching and can still abort).',
  );
  action('resume', 'Let a paused rollout go on.');
  action(
    'abort',
    'Abort: cancel every AWS IoT job of the release (queued executions; running ones finish) and start nothing more.',
  );

  rollout
    .command('list')
    .description('Recent rollouts, newest first, with their state.')
    .action(async () => {
      const { queues } = await open({}, rollout, false);
      for (const id of await queues.rollouts.list()) {
        const r = await queues.rollouts.get(id);
        console.log(
          `${id}  ${r?.state ?? '?'}  dispatched ${r ? new Date(r.dispatchedAt).toISOString() : '?'}${r?.reason ? `  (${r.reason})` : ''}`,
        );
      }
      await queues.close();
      process.exit(0);
    });

  rollout
    .command('failed')
    .description(
      'Failed worker jobs (kept as dead letters): queue, job id, attempts and the reason.',
    )
    .option('--limit <n>', 'how many', '50')
    .action(async (options: { limit: string }) => {
      const { queues } = await open({}, rollout, false);
      const jobs = await queues.failed(Number(options.limit) || 50);
      if (jobs.length === 0) console.log('no failed jobs');
      for (const j of jobs)
        console.log(
          `${new Date(j.finishedOn ?? 0).toISOString()}  ${j.queueName}/${j.name}  ${j.id}  attempts ${j.attemptsMade}: ${j.failedReason}`,
        );
      await queues.close();
      process.exit(0);
    });
}
