/**
 * The Redis connection every BullMQ queue and worker of ours uses. `maxRetriesPerRequest: null`
 * makes commands wait for Redis to come back instead of failing, so a Redis restart is survived
 * (BullMQ `guide/going-to-production.md`); ioredis reconnects with backoff.
 */
import { Redis } from 'ioredis';

export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}
