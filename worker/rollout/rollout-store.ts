/**
 * A rollout's record in Redis, beside the queues (same connection and key prefix):
 * - hash `<prefix>:rollout:<id>`: `releaseId`, `plan` (JSON), `state`, `dispatchedAt`, and per
 *   stage `stage:<name>:jobId`, `…:startedAt`, `…:state`, `…:decision`, `…:reasons` (JSON);
 * - stream `<prefix>:rollout:<id>:events`: every stage start, gate decision (when it changes) and
 *   operator action, with its reasons — the rollout's history;
 * - sorted set `<prefix>:rollouts`: rollout ids by dispatch time.
 * Nothing here holds per-device state: counts come from AWS when asked.
 */
import type { Redis } from 'ioredis';

export type RolloutState = 'dispatching' | 'rolling-out' | 'paused' | 'aborted' | 'completed';
export type StageState = 'waiting' | 'scheduled' | 'started' | 'promoted' | 'aborted';

export interface StageRecord {
  readonly name: string;
  readonly state: StageState;
  readonly jobId?: string;
  readonly startedAt?: number;
  readonly decision?: string;
  readonly reasons?: readonly string[];
}

export interface RolloutRecord {
  readonly id: string;
  readonly releaseId: string;
  readonly plan: string;
  readonly state: RolloutState;
  readonly dispatchedAt: number;
  readonly reason?: string;
  readonly stages: Readonly<Record<string, StageRecord>>;
}

export interface RolloutEvent {
  readonly at: number;
  readonly kind: 'stage-started' | 'gate' | 'operator' | 'state';
  readonly stage?: string;
  readonly decision?: string;
  readonly reasons: readonly string[];
}

export class RolloutStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:rollout:${id}`;
  }

  /** Creates the record once; a second call (a retried dispatch) keeps the first one's times. */
  async init(
    id: string,
    releaseId: string,
    plan: string,
    stageNames: readonly string[],
    now: number,
  ): Promise<void> {
    const key = this.key(id);
    const created = await this.redis.hsetnx(key, 'releaseId', releaseId);
    if (created === 1) {
      const fields: Record<string, string> = {
        plan,
        state: 'dispatching',
        dispatchedAt: String(now),
      };
      for (const name of stageNames) fields[`stage:${name}:state`] = 'waiting';
      await this.redis.hset(key, fields);
      await this.redis.zadd(`${this.prefix}:rollouts`, now, id);
    }
  }

  async get(id: string): Promise<RolloutRecord | null> {
    const h = await this.redis.hgetall(this.key(id));
    if (!h.releaseId) return null;
    const stages: Record<string, StageRecord> = {};
    for (const [field, value] of Object.entries(h)) {
      const m = /^stage:(.+):(jobId|startedAt|state|decision|reasons)$/.exec(field);
      if (!m) continue;
      const s = (stages[m[1]] ??= { name: m[1], state: 'waiting' }) as unknown as Record<
        string,
        unknown
      >;
      s[m[2]] =
        m[2] === 'startedAt' ? Number(value) : m[2] === 'reasons' ? JSON.parse(value) : value;
    }
    return {
      id,
      releaseId: h.releaseId,
      plan: h.plan,
      state: (h.state ?? 'dispatching') as RolloutState,
      dispatchedAt: Number(h.dispatchedAt),
      reason: h.reason,
      stages,
    };
  }

  async setState(id: string, state: RolloutState, reason?: string): Promise<void> {
    await this.redis.hset(this.key(id), { state, ...(reason === undefined ? {} : { reason }) });
  }

  /**
   * Moves to `state` only from one of `from` (atomically), e.g. resume only a paused rollout.
   * Returns whether it moved.
   */
  async transition(
    id: string,
    from: readonly RolloutState[],
    state: RolloutState,
    reason?: string,
  ): Promise<boolean> {
    const script = `local s = redis.call('HGET', KEYS[1], 'state')
for i = 2, #ARGV do if s == ARGV[i] then
  redis.call('HSET', KEYS[1], 'state', ARGV[1])
  return 1 end end
return 0`;
    const moved = (await this.redis.eval(script, 1, this.key(id), state, ...from)) === 1;
    if (moved && reason !== undefined) await this.redis.hset(this.key(id), 'reason', reason);
    return moved;
  }

  async setStage(
    id: string,
    stage: string,
    fields: Partial<Omit<StageRecord, 'name'>>,
  ): Promise<void> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (v !== undefined)
        out[`stage:${stage}:${k}`] = k === 'reasons' ? JSON.stringify(v) : String(v);
    }
    if (Object.keys(out).length > 0) await this.redis.hset(this.key(id), out);
  }

  async record(id: string, event: RolloutEvent): Promise<void> {
    await this.redis.xadd(
      `${this.key(id)}:events`,
      '*',
      'at',
      String(event.at),
      'kind',
      event.kind,
      'stage',
      event.stage ?? '',
      'decision',
      event.decision ?? '',
      'reasons',
      JSON.stringify(event.reasons),
    );
  }

  async events(id: string): Promise<RolloutEvent[]> {
    const entries = await this.redis.xrange(`${this.key(id)}:events`, '-', '+');
    return entries.map(([, flat]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) f[flat[i]] = flat[i + 1];
      return {
        at: Number(f.at),
        kind: f.kind as RolloutEvent['kind'],
        stage: f.stage || undefined,
        decision: f.decision || undefined,
        reasons: JSON.parse(f.reasons ?? '[]') as string[],
      };
    });
  }

  /** Rollout ids, newest first. */
  async list(limit = 50): Promise<string[]> {
    return this.redis.zrevrange(`${this.prefix}:rollouts`, 0, limit - 1);
  }
}
