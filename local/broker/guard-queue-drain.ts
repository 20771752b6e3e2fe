/**
 * Keeps aedes from overflowing the stack when thousands of publishes arrive at once (one job
 * notifying 5,000 things; 5,000 devices answering it).
 *
 * aedes hands every publish to mqemitter, which runs at most `concurrency` emits at once (aedes'
 * default, 100) and queues the rest. When an emit finishes, mqemitter starts the next queued one
 * from inside that completion (mqemitter 7 `released` → `_do` → fastparallel), and an emit nobody
 * is subscribed to finishes synchronously. A queue holding a long run of such messages is therefore
 * drained by recursion, a few frames per message, until `RangeError: Maximum call stack size
 * exceeded` (a known upstream problem: https://github.com/mcollina/mqemitter/pull/204, unmerged).
 *
 * The guard listens on `#` (every topic, `$aws/...` included: the emitter's matcher has no `$`
 * rule; aedes applies that rule to clients only) and, while messages are waiting in the queue,
 * finishes its part of the emit in the next turn of the event loop. Each queued emit then completes
 * asynchronously, so the drain unwinds instead of recursing; when nothing is queued the guard
 * finishes synchronously and costs one function call.
 */
import type { Aedes } from 'aedes';

/** The part of aedes' message emitter (`aedes.mq`, an mqemitter) the guard reads. */
interface QueuedEmitter {
  /** Messages waiting for a free slot. */
  readonly length: number;
}

/** Installs the guard on a broker (once, before clients connect). */
export function guardQueueDrain(aedes: Aedes): void {
  const mq = (aedes as unknown as { mq?: QueuedEmitter }).mq;
  if (typeof mq?.length !== 'number')
    throw new Error(
      "guardQueueDrain: aedes.mq.length is not a number; expected aedes' mqemitter (aedes 1.x, mqemitter 7)",
    );
  aedes.subscribe(
    '#',
    (_packet, done) => {
      if (mq.length > 0) setImmediate(done);
      else done();
    },
    () => {},
  );
}
