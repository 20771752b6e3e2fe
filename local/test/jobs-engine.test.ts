import { describe, expect, it } from 'vitest';
import { parseCreateJobRequest, requestFingerprint } from '../jobs/create-job-request';
import { JobsEngine, type JobsEngineEvent } from '../jobs/jobs-engine';
import { JobsError } from '../jobs/jobs-error';
import { inMaintenanceWindow } from '../jobs/maintenance-window';

const ARN = (r: string): string => `arn:aws:iot:eu-west-1:123456789012:${r}`;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/** An engine on a fake clock with groups held in a map. */
function setup(groups: Record<string, string[]>) {
  let now = T0;
  const events: JobsEngineEvent[] = [];
  const engine = new JobsEngine({
    now: () => now,
    arn: ARN,
    resolveTarget(arn) {
      const group = /:thinggroup\/(.+)$/.exec(arn)?.[1];
      if (group !== undefined) {
        if (!groups[group]) throw new JobsError('ResourceNotFoundException', `no group ${group}`);
        return groups[group];
      }
      return [/:thing\/(.+)$/.exec(arn)![1]];
    },
  });
  engine.onEvent(e => events.push(e));
  const create = (jobId: string, body: Record<string, unknown>) => {
    const full = { document: '{"op":"ota"}', ...body };
    const request = parseCreateJobRequest(jobId, full, now);
    return engine.createJob({ ...request, document: request.document! }, requestFingerprint(full))
      .job;
  };
  const advance = (ms: number, step = 1000) => {
    for (let t = 0; t < ms; t += step) {
      now += Math.min(step, ms - t);
      engine.tick();
    }
  };
  return { engine, events, create, advance, setNow: (t: number) => (now = t), now: () => now };
}

const things = (n: number, prefix = 'dev') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

describe('jobs engine rollout pacing', () => {
  it('rolls 10,000 things out at 1,000 per minute over 10 one-minute windows', () => {
    const { engine, create, advance } = setup({ fleet: things(10_000) });
    create('big', {
      targets: [ARN('thinggroup/fleet')],
      jobExecutionsRolloutConfig: { maximumPerMinute: 1000 },
    });
    const notified = () => engine.listExecutionsForJob('big').length;
    expect(notified()).toBe(1000);
    const perWindow: number[] = [1000];
    for (let minute = 1; minute <= 10; minute++) {
      const before = notified();
      advance(60_000);
      perWindow.push(notified() - before);
    }
    expect(perWindow).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 0]);
    // All 10,000 were notified by 9 minutes in, i.e. within 10 minute windows, never sooner.
    expect(notified()).toBe(10_000);
    expect(engine.processDetails('big').numberOfQueuedThings).toBe(10_000);
  });

  it('steps an exponential rate by incrementFactor each time numberOfNotifiedThings is reached, up to maximumPerMinute', () => {
    const { engine, create, advance } = setup({ fleet: things(5000) });
    create('exp', {
      targets: [ARN('thinggroup/fleet')],
      jobExecutionsRolloutConfig: {
        maximumPerMinute: 1000,
        exponentialRate: {
          baseRatePerMinute: 100,
          incrementFactor: 2,
          rateIncreaseCriteria: { numberOfNotifiedThings: 100 },
        },
      },
    });
    const perWindow = [engine.listExecutionsForJob('exp').length];
    for (let minute = 1; minute <= 5; minute++) {
      const before = engine.listExecutionsForJob('exp').length;
      advance(60_000);
      perWindow.push(engine.listExecutionsForJob('exp').length - before);
    }
    expect(perWindow).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('raises an exponential rate on numberOfSucceededThings', () => {
    const { engine, create, advance } = setup({ fleet: things(100) });
    create('exp-s', {
      targets: [ARN('thinggroup/fleet')],
      jobExecutionsRolloutConfig: {
        exponentialRate: {
          baseRatePerMinute: 5,
          incrementFactor: 1.5,
          rateIncreaseCriteria: { numberOfSucceededThings: 5 },
        },
      },
    });
    expect(engine.listExecutionsForJob('exp-s')).toHaveLength(5);
    advance(60_000);
    expect(engine.listExecutionsForJob('exp-s')).toHaveLength(10); // nothing succeeded: still 5/min
    for (const e of engine.listExecutionsForJob('exp-s'))
      engine.updateExecution(e.thingName, 'exp-s', { status: 'SUCCEEDED' });
    advance(60_000);
    // 10 succeeded → one step per window: 5 → 7.
    expect(engine.listExecutionsForJob('exp-s')).toHaveLength(17);
  });
});

describe('jobs engine executions', () => {
  it('moves executions through the documented states and counts them', () => {
    const { engine, create } = setup({ g: ['a', 'b', 'c', 'd'] });
    create('j1', {
      targets: [ARN('thinggroup/g')],
      timeoutConfig: { inProgressTimeoutInMinutes: 5 },
    });
    expect(engine.startNext('a')?.status).toBe('IN_PROGRESS');
    engine.updateExecution('a', 'j1', { status: 'SUCCEEDED', statusDetails: { result: 'ok' } });
    engine.updateExecution('b', 'j1', { status: 'FAILED' });
    engine.updateExecution('c', 'j1', { status: 'REJECTED' });
    const d = engine.processDetails('j1');
    expect(d).toMatchObject({
      numberOfSucceededThings: 1,
      numberOfFailedThings: 1,
      numberOfRejectedThings: 1,
      numberOfQueuedThings: 1,
      numberOfInProgressThings: 0,
    });
    expect(engine.getJob('j1').status).toBe('IN_PROGRESS');
    expect(() => engine.updateExecution('a', 'j1', { status: 'IN_PROGRESS' })).toThrow(
      expect.objectContaining({ type: 'InvalidStateTransitionException' }),
    );
    engine.updateExecution('d', 'j1', { status: 'SUCCEEDED' });
    expect(engine.getJob('j1').status).toBe('COMPLETED');
  });

  it('refuses an update with a stale expectedVersion and returns the current state', () => {
    const { engine, create } = setup({ g: ['a'] });
    create('j', { targets: [ARN('thinggroup/g')] });
    const e = engine.startNext('a')!;
    expect(e.versionNumber).toBe(2);
    try {
      engine.updateExecution('a', 'j', { status: 'SUCCEEDED', expectedVersion: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        type: 'VersionConflictException',
        executionState: { status: 'IN_PROGRESS', versionNumber: 2 },
      });
    }
    expect(
      engine.updateExecution('a', 'j', { status: 'SUCCEEDED', expectedVersion: 2 }).versionNumber,
    ).toBe(3);
  });

  it('times out on the in-progress timer and on a step timer, then retries as configured', () => {
    const { engine, create, advance } = setup({ g: ['a', 'b'] });
    create('t', {
      targets: [ARN('thinggroup/g')],
      timeoutConfig: { inProgressTimeoutInMinutes: 10 },
      jobExecutionsRetryConfig: {
        criteriaList: [{ failureType: 'TIMED_OUT', numberOfRetries: 1 }],
      },
    });
    engine.startNext('a');
    engine.startNext('b', { stepTimeoutInMinutes: 2 });
    advance(2 * 60_000);
    // b's step timer expired → TIMED_OUT, then retried as execution 2.
    const b = engine.getExecution('t', 'b');
    expect(b).toMatchObject({ status: 'QUEUED', executionNumber: 2, retryAttempt: 1 });
    expect(engine.getExecution('t', 'b', 1).status).toBe('TIMED_OUT');
    expect(engine.getExecution('t', 'a').status).toBe('IN_PROGRESS');
    advance(8 * 60_000);
    expect(engine.getExecution('t', 'a')).toMatchObject({ status: 'QUEUED', executionNumber: 2 });
    engine.startNext('a');
    advance(10 * 60_000);
    // No retries left: TIMED_OUT stays.
    expect(engine.getExecution('t', 'a')).toMatchObject({
      status: 'TIMED_OUT',
      executionNumber: 2,
    });
  });

  it('cancels the rest of the job when abort criteria are met', () => {
    const { engine, create } = setup({ g: things(10) });
    create('ab', {
      targets: [ARN('thinggroup/g')],
      abortConfig: {
        criteriaList: [
          {
            failureType: 'FAILED',
            action: 'CANCEL',
            thresholdPercentage: 50,
            minNumberOfExecutedThings: 4,
          },
        ],
      },
    });
    engine.updateExecution('dev-00000', 'ab', { status: 'FAILED' });
    engine.updateExecution('dev-00001', 'ab', { status: 'FAILED' });
    engine.updateExecution('dev-00002', 'ab', { status: 'FAILED' }); // 3 executed: below the minimum
    expect(engine.getJob('ab').status).toBe('IN_PROGRESS');
    engine.startNext('dev-00009');
    engine.updateExecution('dev-00003', 'ab', { status: 'SUCCEEDED' }); // 4 executed, 75 % failed
    expect(engine.getJob('ab').status).toBe('CANCELED');
    const d = engine.processDetails('ab');
    expect(d).toMatchObject({
      numberOfFailedThings: 3,
      numberOfSucceededThings: 1,
      numberOfCanceledThings: 5,
      numberOfInProgressThings: 1,
    });
  });

  it('CancelJob leaves IN_PROGRESS executions alone unless forced', () => {
    const { engine, create } = setup({ g: ['a', 'b'] });
    create('c', { targets: [ARN('thinggroup/g')] });
    engine.startNext('a');
    engine.cancelJob('c');
    expect(engine.getExecution('c', 'a').status).toBe('IN_PROGRESS');
    expect(engine.getExecution('c', 'b').status).toBe('CANCELED');
    engine.cancelJob('c', { force: true });
    expect(engine.getExecution('c', 'a')).toMatchObject({
      status: 'CANCELED',
      forceCanceled: true,
    });
  });

  it('a CONTINUOUS job reaches a thing added to the group later; a SNAPSHOT job does not', () => {
    const groups = { g: ['a'] };
    const { engine, create } = setup(groups);
    create('cont', { targets: [ARN('thinggroup/g')], targetSelection: 'CONTINUOUS' });
    create('snap', { targets: [ARN('thinggroup/g')] });
    groups.g.push('late');
    engine.thingMembershipChanged('late');
    expect(engine.pendingExecutions('late').queued.map(e => e.jobId)).toEqual(['cont']);
  });

  it('is idempotent on jobId for the same request and refuses a different one', () => {
    const { engine, create } = setup({ g: ['a'] });
    const first = create('same', { targets: [ARN('thinggroup/g')] });
    expect(create('same', { targets: [ARN('thinggroup/g')] }).createdAt).toBe(first.createdAt);
    expect(() => create('same', { targets: [ARN('thinggroup/g')], description: 'other' })).toThrow(
      expect.objectContaining({ type: 'ResourceAlreadyExistsException' }),
    );
    expect(engine.listJobs()).toHaveLength(1);
  });

  it('refuses documents over 32 KB, too many statusDetails and bad ranges, naming the field', () => {
    expect(() =>
      parseCreateJobRequest(
        'x',
        { targets: ['t'], document: JSON.stringify({ a: 'x'.repeat(33_000) }) },
        T0,
      ),
    ).toThrow(/document: is \d+ characters, the maximum is 32768/);
    expect(() =>
      parseCreateJobRequest(
        'x',
        { targets: ['t'], document: '{}', jobExecutionsRolloutConfig: { maximumPerMinute: 1001 } },
        T0,
      ),
    ).toThrow(/maximumPerMinute/);
    const { engine, create } = setup({ g: ['a'] });
    create('sd', { targets: [ARN('thinggroup/g')] });
    const details = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(() =>
      engine.updateExecution('a', 'sd', { status: 'IN_PROGRESS', statusDetails: details }),
    ).not.toThrow(); // the engine trusts parsed input
  });
});

describe('jobs engine scheduling', () => {
  it('holds a scheduled job until startTime, then cancels at endTime with endBehavior CANCEL', () => {
    const { engine, create, advance } = setup({ g: ['a', 'b'] });
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    create('s', {
      targets: [ARN('thinggroup/g')],
      schedulingConfig: {
        startTime: iso(T0 + 30 * 60_000),
        endTime: iso(T0 + 90 * 60_000),
        endBehavior: 'CANCEL',
      },
    });
    expect(engine.getJob('s').status).toBe('SCHEDULED');
    expect(engine.listExecutionsForJob('s')).toHaveLength(0);
    advance(30 * 60_000, 60_000);
    expect(engine.getJob('s').status).toBe('IN_PROGRESS');
    engine.startNext('a');
    advance(60 * 60_000, 60_000);
    expect(engine.getJob('s').status).toBe('CANCELED');
    expect(engine.getExecution('s', 'a').status).toBe('IN_PROGRESS');
    expect(engine.getExecution('s', 'b').status).toBe('CANCELED');
  });

  it('rolls out only inside maintenance windows', () => {
    const { engine, create, advance, setNow } = setup({ g: things(3) });
    setNow(Date.UTC(2026, 0, 5, 1, 0));
    create('w', {
      targets: [ARN('thinggroup/g')],
      schedulingConfig: {
        maintenanceWindows: [{ startTime: 'cron(0 2 * * ? *)', durationInMinutes: 60 }],
      },
    });
    expect(engine.listExecutionsForJob('w')).toHaveLength(0);
    advance(59 * 60_000, 60_000);
    expect(engine.listExecutionsForJob('w')).toHaveLength(0);
    advance(60_000, 60_000);
    expect(engine.listExecutionsForJob('w')).toHaveLength(3);
    expect(
      inMaintenanceWindow(
        [{ startTime: 'cron(0 2 * * ? *)', durationInMinutes: 60 }],
        Date.UTC(2026, 0, 5, 3, 0),
      ),
    ).toBe(false);
    expect(() =>
      parseCreateJobRequest(
        'x',
        {
          targets: ['t'],
          document: '{}',
          schedulingConfig: {
            maintenanceWindows: [{ startTime: 'cron(0 2 L * ? *)', durationInMinutes: 5 }],
          },
        },
        T0,
      ),
    ).toThrow(/maintenanceWindows\[0\]\.startTime/);
  });
});
