import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OtaErrorCode } from '../errors/error-code';
import { PlanInvalidError } from '../errors/plan-invalid-error';
import {
  dependentStages,
  earliestStageStart,
  findStage,
  parseRolloutPlan,
  rootStages,
} from '../rollout-plan';

const plansDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../plans');

/** A small valid plan; tests change one thing in it at a time. */
function basePlan(): { name: string; stages: Record<string, unknown>[] } {
  return {
    name: 'test-plan',
    stages: [
      {
        name: 'canary',
        targets: ['canary'],
        rate: { type: 'constant', maximumPerMinute: 10 },
        abort: [
          {
            failureType: 'ALL',
            action: 'CANCEL',
            thresholdPercentage: 20,
            minNumberOfExecutedThings: 1,
          },
        ],
        timeout: { inProgressTimeoutInMinutes: 60 },
        retries: [{ failureType: 'TIMED_OUT', numberOfRetries: 2 }],
        gate: { soakMinutes: 60, maxFailedPercentage: 0 },
      },
      {
        name: 'fleet',
        targets: ['fleet'],
        start: { after: 'canary', delayMinutes: 60 },
        rate: {
          type: 'exponential',
          baseRatePerMinute: 10,
          incrementFactor: 2,
          rateIncreaseCriteria: { numberOfSucceededThings: 100 },
        },
      },
    ],
  };
}

function problemsOf(input: unknown): { field: string; message: string }[] {
  try {
    parseRolloutPlan(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanInvalidError);
    expect((error as PlanInvalidError).code).toBe(OtaErrorCode.PlanInvalid);
    return [...(error as PlanInvalidError).problems];
  }
  throw new Error('expected a PlanInvalidError');
}

/** The plan with `patch` merged into `stages[index]`. */
function withStage(index: number, patch: Record<string, unknown>) {
  const plan = basePlan();
  plan.stages[index] = { ...plan.stages[index], ...patch };
  return plan;
}

describe('rollout plan', () => {
  it('parses a valid plan and fills in defaults', () => {
    const plan = parseRolloutPlan(JSON.stringify(basePlan()));
    expect(plan.name).toBe('test-plan');
    expect(plan.stages.map(s => s.start)).toEqual([
      { type: 'immediate' },
      { type: 'after', after: 'canary', delayMinutes: 60 },
    ]);
    expect(plan.stages[0].targetSelection).toBe('SNAPSHOT');
    expect(plan.stages[1].rate).toEqual({
      type: 'exponential',
      baseRatePerMinute: 10,
      incrementFactor: 2,
      rateIncreaseCriteria: { numberOfSucceededThings: 100 },
    });
  });

  it('starts a later stage without "start" right after the stage before it', () => {
    const plan = basePlan();
    delete plan.stages[1].start;
    expect(parseRolloutPlan(plan).stages[1].start).toEqual({
      type: 'after',
      after: 'canary',
      delayMinutes: 0,
    });
  });

  it('accepts an absolute start time', () => {
    const plan = parseRolloutPlan(withStage(1, { start: { at: '2026-11-24T02:00:00Z' } }));
    expect(plan.stages[1].start).toEqual({ type: 'at', at: '2026-11-24T02:00:00.000Z' });
  });

  describe('refuses values outside AWS IoT Jobs ranges, naming the field', () => {
    it.each([
      [
        'maximumPerMinute 0',
        0,
        { rate: { type: 'constant', maximumPerMinute: 0 } },
        'stages[0].rate.maximumPerMinute',
        'expected an integer from 1 to 1000',
      ],
      [
        'maximumPerMinute 1001',
        0,
        { rate: { type: 'constant', maximumPerMinute: 1001 } },
        'stages[0].rate.maximumPerMinute',
        'expected an integer from 1 to 1000',
      ],
      [
        'baseRatePerMinute 0',
        1,
        {
          rate: {
            type: 'exponential',
            baseRatePerMinute: 0,
            incrementFactor: 2,
            rateIncreaseCriteria: { numberOfNotifiedThings: 5 },
          },
        },
        'stages[1].rate.baseRatePerMinute',
        'expected an integer from 1 to 1000',
      ],
      [
        'incrementFactor 1.0',
        1,
        {
          rate: {
            type: 'exponential',
            baseRatePerMinute: 5,
            incrementFactor: 1,
            rateIncreaseCriteria: { numberOfNotifiedThings: 5 },
          },
        },
        'stages[1].rate.incrementFactor',
        'expected a number from 1.1 to 5 with one decimal place',
      ],
      [
        'incrementFactor 5.5',
        1,
        {
          rate: {
            type: 'exponential',
            baseRatePerMinute: 5,
            incrementFactor: 5.5,
            rateIncreaseCriteria: { numberOfNotifiedThings: 5 },
          },
        },
        'stages[1].rate.incrementFactor',
        'expected a number from 1.1 to 5 with one decimal place',
      ],
      [
        'incrementFactor 1.55',
        1,
        {
          rate: {
            type: 'exponential',
            baseRatePerMinute: 5,
            incrementFactor: 1.55,
            rateIncreaseCriteria: { numberOfNotifiedThings: 5 },
          },
        },
        'stages[1].rate.incrementFactor',
        'expected at most one decimal place (AWS accepts 1.5, not 1.55)',
      ],
      [
        'both rate-increase criteria',
        1,
        {
          rate: {
            type: 'exponential',
            baseRatePerMinute: 5,
            incrementFactor: 2,
            rateIncreaseCriteria: { numberOfNotifiedThings: 5, numberOfSucceededThings: 5 },
          },
        },
        'stages[1].rate.rateIncreaseCriteria',
        'expected exactly one of numberOfNotifiedThings or numberOfSucceededThings',
      ],
      [
        'base rate over the maximum',
        1,
        {
          rate: {
            type: 'exponential',
            baseRatePerMinute: 50,
            incrementFactor: 2,
            rateIncreaseCriteria: { numberOfNotifiedThings: 5 },
            maximumPerMinute: 10,
          },
        },
        'stages[1].rate.baseRatePerMinute',
        'must not exceed maximumPerMinute',
      ],
      [
        'an unknown rate type',
        0,
        { rate: { type: 'linear', maximumPerMinute: 5 } },
        'stages[0].rate.type',
        'expected "type": "constant" or "exponential"',
      ],
      [
        'thresholdPercentage 101',
        0,
        {
          abort: [
            {
              failureType: 'ALL',
              action: 'CANCEL',
              thresholdPercentage: 101,
              minNumberOfExecutedThings: 1,
            },
          ],
        },
        'stages[0].abort[0].thresholdPercentage',
        'expected a number from 0 to 100 with at most 2 decimal places',
      ],
      [
        'thresholdPercentage 10.999',
        0,
        {
          abort: [
            {
              failureType: 'ALL',
              action: 'CANCEL',
              thresholdPercentage: 10.999,
              minNumberOfExecutedThings: 1,
            },
          ],
        },
        'stages[0].abort[0].thresholdPercentage',
        'expected a number from 0 to 100 with at most 2 decimal places',
      ],
      [
        'minNumberOfExecutedThings 0',
        0,
        {
          abort: [
            {
              failureType: 'ALL',
              action: 'CANCEL',
              thresholdPercentage: 5,
              minNumberOfExecutedThings: 0,
            },
          ],
        },
        'stages[0].abort[0].minNumberOfExecutedThings',
        'expected an integer ≥ 1',
      ],
      [
        'abort failureType CANCELED',
        0,
        {
          abort: [
            { failureType: 'CANCELED', thresholdPercentage: 5, minNumberOfExecutedThings: 1 },
          ],
        },
        'stages[0].abort[0].failureType',
        'expected one of FAILED, REJECTED, TIMED_OUT, ALL',
      ],
      [
        'abort action STOP',
        0,
        {
          abort: [
            {
              failureType: 'ALL',
              action: 'STOP',
              thresholdPercentage: 5,
              minNumberOfExecutedThings: 1,
            },
          ],
        },
        'stages[0].abort[0].action',
        'expected "CANCEL" (the only abort action AWS has)',
      ],
      [
        'the same abort failureType twice',
        0,
        {
          abort: [
            { failureType: 'ALL', thresholdPercentage: 5, minNumberOfExecutedThings: 1 },
            { failureType: 'ALL', thresholdPercentage: 9, minNumberOfExecutedThings: 1 },
          ],
        },
        'stages[0].abort[1].failureType',
        'ALL appears twice',
      ],
      [
        'inProgressTimeoutInMinutes 0',
        0,
        { timeout: { inProgressTimeoutInMinutes: 0 } },
        'stages[0].timeout.inProgressTimeoutInMinutes',
        'expected an integer from 1 to 10080',
      ],
      [
        'inProgressTimeoutInMinutes over 7 days',
        0,
        { timeout: { inProgressTimeoutInMinutes: 10081 } },
        'stages[0].timeout.inProgressTimeoutInMinutes',
        'expected an integer from 1 to 10080',
      ],
      [
        'numberOfRetries 11',
        0,
        { retries: [{ failureType: 'FAILED', numberOfRetries: 11 }] },
        'stages[0].retries[0].numberOfRetries',
        'expected an integer from 0 to 10',
      ],
      [
        'retry failureType REJECTED',
        0,
        { retries: [{ failureType: 'REJECTED', numberOfRetries: 1 }] },
        'stages[0].retries[0].failureType',
        'expected one of FAILED, TIMED_OUT, ALL',
      ],
      [
        'three retry criteria',
        0,
        {
          retries: [
            { failureType: 'FAILED', numberOfRetries: 1 },
            { failureType: 'TIMED_OUT', numberOfRetries: 1 },
            { failureType: 'ALL', numberOfRetries: 1 },
          ],
        },
        'stages[0].retries',
        'expected at most 2 criteria (AWS limit)',
      ],
      [
        'a maintenance window of 1431 minutes',
        0,
        {
          schedule: {
            maintenanceWindows: [{ startTime: 'cron(0 2 * * ? *)', durationInMinutes: 1431 }],
          },
        },
        'stages[0].schedule.maintenanceWindows[0].durationInMinutes',
        'expected an integer from 1 to 1430',
      ],
      [
        'a five-field cron',
        0,
        { schedule: { maintenanceWindows: [{ startTime: '0 2 * * *', durationInMinutes: 60 }] } },
        'stages[0].schedule.maintenanceWindows[0].startTime',
        'expected a cron expression such as "cron(0 2 * * ? *)" (six fields, UTC)',
      ],
      [
        'an end under 30 minutes',
        0,
        { schedule: { endAfterMinutes: 29 } },
        'stages[0].schedule.endAfterMinutes',
        'expected an integer from 30 to 1051200',
      ],
      [
        'endBehavior without an end',
        0,
        { schedule: { endBehavior: 'CANCEL' } },
        'stages[0].schedule.endBehavior',
        'only applies with endAfterMinutes (AWS ignores it without an end time)',
      ],
      [
        'targetSelection ONCE',
        0,
        { targetSelection: 'ONCE' },
        'stages[0].targetSelection',
        'expected one of SNAPSHOT, CONTINUOUS',
      ],
      ['no targets', 0, { targets: [] }, 'stages[0].targets', 'expected at least one thing group'],
      [
        'a thing group name with a slash',
        0,
        { targets: ['fleet/eu'] },
        'stages[0].targets[0]',
        'expected a thing group name (A-Z a-z 0-9 : _ -)',
      ],
      [
        'a target listed twice',
        0,
        { targets: ['a', 'b', 'a'] },
        'stages[0].targets[2]',
        '"a" is listed twice',
      ],
      [
        'a stage name too long for a job id',
        0,
        { name: 's'.repeat(22) },
        'stages[0].name',
        'expected a stage name (1–21 characters of A-Z a-z 0-9 _ -)',
      ],
      [
        'a gate percentage over 100',
        0,
        { gate: { soakMinutes: 10, maxFailedPercentage: 120 } },
        'stages[0].gate.maxFailedPercentage',
        'expected a number from 0 to 100 with at most 2 decimal places',
      ],
      [
        'a gate without a soak time',
        0,
        { gate: { maxFailedPercentage: 2 } },
        'stages[0].gate.soakMinutes',
        'expected an integer from 0 to 43200',
      ],
      [
        'health with offline minutes 0',
        0,
        {
          gate: {
            soakMinutes: 10,
            maxFailedPercentage: 2,
            health: { maxCrashingPercentage: 1, maxOfflineMinutes: 0, maxOfflinePercentage: 5 },
          },
        },
        'stages[0].gate.health.maxOfflineMinutes',
        'expected an integer from 1 to 43200',
      ],
      [
        'a start with both at and after',
        1,
        { start: { at: '2026-11-24T02:00:00Z', after: 'canary' } },
        'stages[1].start',
        'expected exactly one of "at" (a time) or "after" (a stage name)',
      ],
      [
        'a start time without a zone',
        1,
        { start: { at: '2026-11-24T02:00:00' } },
        'stages[1].start.at',
        'expected an ISO 8601 UTC time such as "2026-11-24T02:00:00Z"',
      ],
      [
        'a negative delay',
        1,
        { start: { after: 'canary', delayMinutes: -5 } },
        'stages[1].start.delayMinutes',
        'expected an integer from 0 to 525600',
      ],
      ['an unknown stage field', 0, { rollout: {} }, 'stages[0].rollout', 'unknown field'],
    ])('%s', (_what, index, patch, field, message) => {
      expect(problemsOf(withStage(index, patch))).toContainEqual({ field, message });
    });
  });

  describe('checks between stages', () => {
    it('refuses two stages with the same name', () => {
      expect(problemsOf(withStage(1, { name: 'canary', start: undefined }))).toEqual([
        { field: 'stages[1].name', message: '"canary" is already the name of stages[0]' },
      ]);
    });

    it('refuses "after" naming a stage that does not exist', () => {
      expect(problemsOf(withStage(1, { start: { after: 'canry', delayMinutes: 5 } }))).toEqual([
        {
          field: 'stages[1].start.after',
          message: 'no stage is named "canry" (stages: canary, fleet)',
        },
      ]);
    });

    it('refuses stages that wait for each other in a cycle, once per cycle', () => {
      const plan = basePlan();
      plan.stages[0].start = { after: 'fleet' };
      expect(problemsOf(plan)).toEqual([
        {
          field: 'stages[0].start.after',
          message: 'stages wait for each other in a cycle: canary → fleet → canary',
        },
      ]);
    });

    it('refuses a stage that waits for itself', () => {
      expect(problemsOf(withStage(1, { start: { after: 'fleet' } }))).toEqual([
        {
          field: 'stages[1].start.after',
          message: 'stages wait for each other in a cycle: fleet → fleet',
        },
      ]);
    });

    it('allows a stage to wait for one listed after it, if there is no cycle', () => {
      const plan = basePlan();
      plan.stages.unshift({
        name: 'late',
        targets: ['late'],
        start: { after: 'fleet', delayMinutes: 10 },
      });
      plan.stages[1].start = { at: '2026-11-24T02:00:00Z' };
      const parsed = parseRolloutPlan(plan);
      expect(rootStages(parsed).map(s => s.name)).toEqual(['canary']);
      expect(dependentStages(parsed, 'fleet').map(s => s.name)).toEqual(['late']);
    });
  });

  it('reports every problem at once, and the first in the message', () => {
    const plan = basePlan();
    plan.stages[0].rate = { type: 'constant', maximumPerMinute: 5000 };
    plan.stages[1].abort = [
      {
        failureType: 'ALL',
        action: 'CANCEL',
        thresholdPercentage: 150,
        minNumberOfExecutedThings: 1,
      },
    ];
    let caught: PlanInvalidError | undefined;
    try {
      parseRolloutPlan(plan);
    } catch (error) {
      caught = error as PlanInvalidError;
    }
    expect(caught?.problems.map(p => p.field)).toEqual([
      'stages[0].rate.maximumPerMinute',
      'stages[1].abort[0].thresholdPercentage',
    ]);
    expect(caught?.message).toBe(
      'invalid rollout plan: stages[0].rate.maximumPerMinute: expected an integer from 1 to 1000 (and 1 more problem)',
    );
    expect(caught?.field).toBe('stages[0].rate.maximumPerMinute');
  });

  it('refuses text that is not JSON and a plan without stages', () => {
    expect(problemsOf('{ "name": ')[0].message).toMatch(/^not valid JSON/);
    expect(problemsOf({ name: 'x', stages: [] })).toEqual([
      { field: 'stages', message: 'expected at least one stage' },
    ]);
    expect(problemsOf({ stages: [] })).toContainEqual({
      field: 'name',
      message: 'expected a plan name',
    });
  });

  it('finds a stage by name, or says which stages there are', () => {
    const plan = parseRolloutPlan(basePlan());
    expect(findStage(plan, 'fleet').name).toBe('fleet');
    expect(() => findStage(plan, 'world')).toThrow(
      'plan "test-plan" has no stage "world" (stages: canary, fleet)',
    );
  });

  describe('stage start times', () => {
    const dispatchedAt = new Date('2026-11-23T10:00:00Z');

    it('starts the first stage at dispatch and a dependent one after its delay', () => {
      const plan = parseRolloutPlan(basePlan());
      expect(earliestStageStart(plan.stages[0], { dispatchedAt, startedAt: {} })).toEqual(
        dispatchedAt,
      );
      expect(earliestStageStart(plan.stages[1], { dispatchedAt, startedAt: {} })).toBeNull();
      expect(
        earliestStageStart(plan.stages[1], {
          dispatchedAt,
          startedAt: { canary: new Date('2026-11-23T10:05:00Z') },
        }),
      ).toEqual(new Date('2026-11-23T11:05:00Z'));
    });

    it('starts an "at" stage at its time, or at dispatch if that is later', () => {
      const plan = parseRolloutPlan(withStage(1, { start: { at: '2026-11-24T02:00:00Z' } }));
      expect(earliestStageStart(plan.stages[1], { dispatchedAt, startedAt: {} })).toEqual(
        new Date('2026-11-24T02:00:00Z'),
      );
      expect(
        earliestStageStart(plan.stages[1], {
          dispatchedAt: new Date('2026-11-25T00:00:00Z'),
          startedAt: {},
        }),
      ).toEqual(new Date('2026-11-25T00:00:00Z'));
    });
  });
});

describe('plans/', () => {
  const files = readdirSync(plansDir).filter(f => f.endsWith('.json'));

  it('holds the example plans', () => {
    expect(files).toEqual(
      expect.arrayContaining(['canary-then-fleet.json', 'nightly.json', 'exponential.json']),
    );
  });

  it.each(files)('%s parses', file => {
    const plan = parseRolloutPlan(readFileSync(join(plansDir, file), 'utf8'));
    expect(plan.name).toBe(file.replace(/\.json$/, ''));
    expect(plan.stages.length).toBeGreaterThan(0);
  });

  it('nightly: 10 % in the 02:00 UTC window, the rest a day later only if under 2 % failed', () => {
    const plan = parseRolloutPlan(readFileSync(join(plansDir, 'nightly.json'), 'utf8'));
    const [tonight, rest] = plan.stages;
    expect(tonight.schedule?.maintenanceWindows).toEqual([
      { startTime: 'cron(0 2 * * ? *)', durationInMinutes: 180 },
    ]);
    expect(tonight.gate?.maxFailedPercentage).toBeLessThan(2);
    expect(rest.start).toEqual({ type: 'after', after: 'tonight', delayMinutes: 1440 });
    expect(rest.schedule?.maintenanceWindows?.[0].startTime).toBe('cron(0 2 * * ? *)');
  });
});
