/**
 * Redis for `npm start`: the one on 127.0.0.1:6379 if it answers PING; otherwise a private
 * `redis-server` on a free port (no persistence, stopped when we stop) if it is installed;
 * otherwise an error that says how to get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface RedisHandle {
  readonly url: string;
  /** True when we started it (and `stop` ends it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function ensureRedis(preferred = 'redis://127.0.0.1:6379'): Promise<RedisHandle> {
  if (await answers(preferred)) return { url: preferred, started: false, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      `no Redis answers at ${preferred} and redis-server is not installed: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL`,
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await answers(url)) {
      return {
        url,
        started: true,
        async stop() {
          child.kill('SIGTERM');
          await new Promise(resolve => child.once('exit', resolve));
        },
      };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`started redis-server on port ${port} but it did not answer PING within 5 s`);
}
