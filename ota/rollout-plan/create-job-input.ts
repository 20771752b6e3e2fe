/**
 * Turns one stage of a plan and a release's job document into the input of `CreateJob`
 * (`@aws-sdk/client-iot`). Pure: the account, region, role and the current time come in.
 *
 * One call per stage whatever the fleet size: targets are thing-group ARNs, and AWS IoT fans the
 * job out to the groups' members (API_CreateJob "targets"; rollout paced by
 * `jobExecutionsRolloutConfig`, not by us).
 *
 * Field mapping (AWS names, API reference https://docs.aws.amazon.com/iot/latest/apireference/API_CreateJob.html):
 * | plan                         | CreateJob                                        |
 * | ---------------------------- | ------------------------------------------------ |
 * | targets                      | targets (`arn:<partition>:iot:<region>:<account>:thinggroup/<name>`) |
 * | targetSelection              | targetSelection                                  |
 * | rate                         | jobExecutionsRolloutConfig                       |
 * | abort[]                      | abortConfig.criteriaList                         |
 * | timeout                      | timeoutConfig                                    |
 * | retries[]                    | jobExecutionsRetryConfig.criteriaList            |
 * | schedule, start              | schedulingConfig (startTime, endTime, endBehavior, maintenanceWindows) |
 * | context.presignRoleArn, expiresInSec | presignedUrlConfig                       |
 */
import type { CreateJobCommandInput } from '@aws-sdk/client-iot';
import { OtaErrorCode } from '../errors/error-code';
import { OtaError } from '../errors/ota-error';
import { serializeJobDocument, type JobDocument } from '../job-document';
import { AWS_JOB_LIMITS as L } from './aws-job-limits';
import type { RolloutStage } from './rollout-plan-schema';
import { rolloutJobId } from './rollout-job-id';

/** Where and as whom the job is created, and when "now" is. */
export interface CreateJobContext {
  /** AWS partition of the account: `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  readonly region: string;
  /** 12-digit account id that owns the thing groups. */
  readonly accountId: string;
  /** Role AWS IoT assumes to presign the firmware URL (PresignedUrlConfig `roleArn`). */
  readonly presignRoleArn: string;
  /** Lifetime of each presigned URL, 60–3600 s (PresignedUrlConfig `expiresInSec`). */
  readonly expiresInSec: number;
  /** Custom job template the job is created from (CreateJob `jobTemplateArn`). @defaultValue none */
  readonly jobTemplateArn?: string;
  /** The current time (no clock inside `ota/`). */
  readonly now: Date;
  /**
   * When the stage should start (`earliestStageStart`). At or before `now`: the job starts at
   * once. At least 30 minutes ahead: a scheduled job (`schedulingConfig.startTime`). In between:
   * refused, because AWS needs a scheduled start 30 minutes ahead — create the job at `startAt`
   * instead (a delayed worker job). @defaultValue `now`
   */
  readonly startAt?: Date;
}

/** Tag keys put on every job, so jobs can be found by release and stage. */
export const JOB_TAG_RELEASE = 'esp32-fleet:release';
export const JOB_TAG_STAGE = 'esp32-fleet:stage';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

function contextError(field: string, message: string): OtaError {
  return new OtaError(OtaErrorCode.PlanInvalid, `invalid job context: ${field}: ${message}`, {
    field,
  });
}

function checkContext(ctx: CreateJobContext): void {
  if (!/^aws(-[a-z]+)*$/.test(ctx.partition))
    throw contextError('partition', 'expected "aws", "aws-cn" or "aws-us-gov"');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(ctx.region))
    throw contextError('region', 'expected a region such as "eu-west-1"');
  if (!/^\d{12}$/.test(ctx.accountId)) throw contextError('accountId', 'expected 12 digits');
  if (
    ctx.presignRoleArn.length < L.roleArnMin ||
    ctx.presignRoleArn.length > L.roleArnMax ||
    !ctx.presignRoleArn.startsWith(`arn:${ctx.partition}:iam::`)
  ) {
    throw contextError(
      'presignRoleArn',
      `expected an IAM role ARN (arn:${ctx.partition}:iam::…, ${L.roleArnMin}–${L.roleArnMax} characters)`,
    );
  }
  if (
    !Number.isInteger(ctx.expiresInSec) ||
    ctx.expiresInSec < L.presignExpiresInSecMin ||
    ctx.expiresInSec > L.presignExpiresInSecMax
  ) {
    throw contextError(
      'expiresInSec',
      `expected an integer from ${L.presignExpiresInSecMin} to ${L.presignExpiresInSecMax}`,
    );
  }
  if (
    ctx.jobTemplateArn !== undefined &&
    !ctx.jobTemplateArn.startsWith(`arn:${ctx.partition}:iot:`)
  ) {
    throw contextError(
      'jobTemplateArn',
      `expected an IoT job template ARN (arn:${ctx.partition}:iot:…:jobtemplate/…)`,
    );
  }
  if (Number.isNaN(ctx.now.getTime())) throw contextError('now', 'expected a valid Date');
  if (ctx.startAt !== undefined && Number.isNaN(ctx.startAt.getTime()))
    throw contextError('startAt', 'expected a valid Date');
}

/** Rounded up to the whole minute: AWS schedule times are `YYYY-MM-DDTHH:MM` (API_SchedulingConfig). */
function scheduleTime(ms: number): string {
  return new Date(Math.ceil(ms / MINUTE) * MINUTE).toISOString().slice(0, 16);
}

function schedulingConfig(
  stage: RolloutStage,
  ctx: CreateJobContext,
): CreateJobCommandInput['schedulingConfig'] {
  const now = ctx.now.getTime();
  const lead = now + L.scheduleLeadMinutes * MINUTE;
  const windows = stage.schedule?.maintenanceWindows;
  let startMs: number | undefined;
  if (ctx.startAt !== undefined && ctx.startAt.getTime() > now) {
    startMs = ctx.startAt.getTime();
    if (startMs < lead) {
      throw contextError(
        'startAt',
        `${ctx.startAt.toISOString()} is less than ${L.scheduleLeadMinutes} minutes after now (${ctx.now.toISOString()}); AWS schedules jobs at least ${L.scheduleLeadMinutes} minutes ahead, so create the job at its start time instead`,
      );
    }
    if (startMs > now + L.scheduleStartMaxDays * DAY) {
      throw contextError(
        'startAt',
        `${ctx.startAt.toISOString()} is more than ${L.scheduleStartMaxDays} days ahead (AWS limit)`,
      );
    }
  } else if (windows !== undefined) {
    // A job with maintenance windows is a scheduled job: give it the earliest start AWS accepts,
    // so its executions are held for the first window rather than depending on a default.
    startMs = lead;
  }
  const endMinutes = stage.schedule?.endAfterMinutes;
  if (startMs === undefined && windows === undefined && endMinutes === undefined) return undefined;
  const endMs = endMinutes === undefined ? undefined : (startMs ?? now) + endMinutes * MINUTE;
  if (endMs !== undefined && endMs > now + L.scheduleEndMaxDays * DAY) {
    throw contextError(
      'startAt',
      `the stage would end more than ${L.scheduleEndMaxDays} days from now (AWS limit); shorten schedule.endAfterMinutes`,
    );
  }
  return {
    ...(startMs === undefined ? {} : { startTime: scheduleTime(startMs) }),
    ...(endMs === undefined
      ? {}
      : {
          endTime: scheduleTime(endMs),
          endBehavior: stage.schedule?.endBehavior ?? 'STOP_ROLLOUT',
        }),
    ...(windows === undefined
      ? {}
      : {
          maintenanceWindows: windows.map(w => ({
            startTime: w.startTime,
            durationInMinutes: w.durationInMinutes,
          })),
        }),
  };
}

function rolloutConfig(stage: RolloutStage): CreateJobCommandInput['jobExecutionsRolloutConfig'] {
  const rate = stage.rate;
  if (rate === undefined) return undefined;
  if (rate.type === 'constant') return { maximumPerMinute: rate.maximumPerMinute };
  return {
    exponentialRate: {
      baseRatePerMinute: rate.baseRatePerMinute,
      incrementFactor: rate.incrementFactor,
      rateIncreaseCriteria: { ...rate.rateIncreaseCriteria },
    },
    ...(rate.maximumPerMinute === undefined ? {} : { maximumPerMinute: rate.maximumPerMinute }),
  };
}

/** The thing group ARN AWS expects in `targets`. */
export function thingGroupArn(
  ctx: Pick<CreateJobContext, 'partition' | 'region' | 'accountId'>,
  groupName: string,
): string {
  return `arn:${ctx.partition}:iot:${ctx.region}:${ctx.accountId}:thinggroup/${groupName}`;
}

/**
 * The `CreateJobCommandInput` for one stage of a release.
 *
 * @param stage a stage of a plan from `parseRolloutPlan`
 * @param document the release's job document (`buildJobDocument`); its `releaseId` names the job
 * @throws OtaError (`PLAN_INVALID`) naming the context field that is wrong, or a start time AWS
 *   would refuse
 */
export function buildCreateJobInput(
  stage: RolloutStage,
  document: JobDocument,
  ctx: CreateJobContext,
): CreateJobCommandInput {
  checkContext(ctx);
  const description =
    `OTA ${document.firmware.version} (${document.releaseId}) to ${document.firmware.chip}, stage ${stage.name}`.slice(
      0,
      L.descriptionMax,
    );
  const input: CreateJobCommandInput = {
    jobId: rolloutJobId(document.releaseId, stage.name),
    targets: stage.targets.map(name => thingGroupArn(ctx, name)),
    document: serializeJobDocument(document),
    description,
    targetSelection: stage.targetSelection,
    presignedUrlConfig: { roleArn: ctx.presignRoleArn, expiresInSec: ctx.expiresInSec },
    tags: [
      { Key: JOB_TAG_RELEASE, Value: document.releaseId },
      { Key: JOB_TAG_STAGE, Value: stage.name },
    ],
  };
  const rollout = rolloutConfig(stage);
  if (rollout !== undefined) input.jobExecutionsRolloutConfig = rollout;
  if (stage.abort !== undefined) {
    input.abortConfig = {
      criteriaList: stage.abort.map(c => ({
        failureType: c.failureType,
        action: c.action,
        thresholdPercentage: c.thresholdPercentage,
        minNumberOfExecutedThings: c.minNumberOfExecutedThings,
      })),
    };
  }
  if (stage.timeout !== undefined)
    input.timeoutConfig = { inProgressTimeoutInMinutes: stage.timeout.inProgressTimeoutInMinutes };
  if (stage.retries !== undefined) {
    input.jobExecutionsRetryConfig = {
      criteriaList: stage.retries.map(c => ({
        failureType: c.failureType,
        numberOfRetries: c.numberOfRetries,
      })),
    };
  }
  const scheduling = schedulingConfig(stage, ctx);
  if (scheduling !== undefined) input.schedulingConfig = scheduling;
  if (ctx.jobTemplateArn !== undefined) input.jobTemplateArn = ctx.jobTemplateArn;
  return input;
}
