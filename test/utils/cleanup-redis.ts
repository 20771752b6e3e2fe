/**
 * Redis isolation for worker tests (BullMQ `tests/utils/cleanup-queue.ts` does the same for its
 * own tests): each test gets its own key prefix `test-<uuid>`; afterwards every queue under it is
 * obliterated and every other key under it (rollout records) deleted.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export function testPrefix(): string {
  return `test-${randomUUID()}`;
}

/** Obliterates the queues and deletes every key under `prefix`. */
export async function cleanupRedis(
  prefix: string,
  queueNames: readonly string[],
  redisUrl = 'redis://127.0.0.1:6379',
): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  try {
    for (const name of queueNames) {
      const queue = new Queue(name, { connection: redis, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
