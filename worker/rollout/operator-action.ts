/**
 * An operator action (pause, resume, abort) on a rollout, as `fleet rollout <action>` and the web
 * console send it: queued on the worker's `advance` queue (`FleetQueues.operator`), then, unless
 * told not to wait, followed until the worker has processed it. The worker decides (a rollout
 * that is not paused cannot be resumed); this only reports what it decided.
 */
import type { Job } from 'bullmq';
import type { FleetQueues } from '../fleet-queues';
import type { OperatorAction } from '../queues';

export interface OperatorActionOptions {
  readonly reason?: string;
  /** pause: also cancel the queued executions of started stages. @defaultValue false */
  readonly cancelQueued?: boolean;
  /** Follow the job until the worker processed it. @defaultValue true */
  readonly wait?: boolean;
  /** Give up waiting after this long (the action stays queued). @defaultValue no limit */
  readonly timeoutMs?: number;
  /** @defaultValue 200 */
  readonly pollMs?: number;
}

/** The worker did not process the action within `timeoutMs`; it stays queued as `jobId`. */
export class OperatorActionTimeoutError extends Error {
  constructor(
    message: string,
    readonly jobId: string,
  ) {
    super(message);
    this.name = 'OperatorActionTimeoutError';
  }
}

export type OperatorActionOutcome =
  | { readonly state: 'queued'; readonly job: Job }
  /** `decision` as the worker recorded it (`paused`, `resumed`, `aborted`). */
  | { readonly state: 'completed'; readonly decision: string; readonly job: Job }
  | { readonly state: 'failed'; readonly reason: string; readonly job: Job };

/**
 * Queues `action` on rollout `id` and (by default) waits for the worker's answer.
 * @throws Error when the rollout does not exist or Redis fails; {@link OperatorActionTimeoutError}
 *   when `timeoutMs` passed
 */
export async function runOperatorAction(
  queues: FleetQueues,
  action: OperatorAction,
  id: string,
  options: OperatorActionOptions = {},
): Promise<OperatorActionOutcome> {
  const job = await queues.operator(action, id, {
    reason: options.reason,
    cancelQueued: options.cancelQueued,
  });
  if (options.wait === false) return { state: 'queued', job };
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  for (;;) {
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') {
      const fresh = (await queues.queues.advance.getJob(job.id!)) ?? job;
      if (state === 'failed')
        return { state: 'failed', reason: fresh.failedReason ?? 'failed', job: fresh };
      const decision = (fresh.returnvalue as { decision?: string } | undefined)?.decision;
      return { state: 'completed', decision: decision ?? action, job: fresh };
    }
    if (Date.now() > deadline)
      throw new OperatorActionTimeoutError(
        `rollout ${action}: the worker has not processed it within ${Math.round(options.timeoutMs! / 1000)} s (is \`fleet worker\` running?); it stays queued as ${job.id}`,
        job.id!,
      );
    await new Promise(r => setTimeout(r, options.pollMs ?? 200));
  }
}
