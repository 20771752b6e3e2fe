/**
 * `runOperatorAction` against real Redis with no worker running: the action is queued, and a
 * caller that waits gets a typed timeout naming the queued job (the console answers it with 504).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupRedis, testPrefix } from '../../test/utils/cleanup-redis';
import { FleetQueues } from '../fleet-queues';
import { QUEUE_NAMES } from '../queues';
import { OperatorActionTimeoutError, runOperatorAction } from '../rollout/operator-action';

describe('runOperatorAction', () => {
  const opened: FleetQueues[] = [];
  afterEach(async () => {
    for (const queues of opened.splice(0)) {
      await queues.close();
      await cleanupRedis(queues.config.queuePrefix, Object.values(QUEUE_NAMES));
    }
  });

  async function queuesWithRollout(id: string): Promise<FleetQueues> {
    const queues = new FleetQueues({
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: testPrefix(),
    });
    opened.push(queues);
    await queues.rollouts.init(id, 'rel-1', 'plan', ['canary'], Date.now());
    return queues;
  }

  it('leaves the action queued when told not to wait', async () => {
    const queues = await queuesWithRollout('r-1');
    const outcome = await runOperatorAction(queues, 'pause', 'r-1', { wait: false });
    expect(outcome.state).toBe('queued');
    expect(await outcome.job.getState()).toBe('waiting');
    expect(outcome.job.data).toMatchObject({ rolloutId: 'r-1', cancelQueued: false });
  });

  it('throws OperatorActionTimeoutError naming the queued job when no worker processes it', async () => {
    const queues = await queuesWithRollout('r-2');
    const running = runOperatorAction(queues, 'abort', 'r-2', { timeoutMs: 300, pollMs: 50 });
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperatorActionTimeoutError);
    const { jobId, message } = error as OperatorActionTimeoutError;
    expect(message).toBe(
      `rollout abort: the worker has not processed it within 0 s (is \`fleet worker\` running?); it stays queued as ${jobId}`,
    );
    expect(await (await queues.queues.advance.getJob(jobId))?.getState()).toBe('waiting');
  });

  it('refuses a rollout that does not exist', async () => {
    const queues = await queuesWithRollout('r-3');
    await expect(runOperatorAction(queues, 'resume', 'nope', { wait: false })).rejects.toThrow(
      /^no rollout nope/,
    );
  });
});
