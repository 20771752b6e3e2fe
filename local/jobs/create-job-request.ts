/**
 * Validates a CreateJob / CreateJobTemplate body as AWS does and merges a job template into a job
 * request. Ranges from the AWS IoT API reference:
 * https://docs.aws.amazon.com/iot/latest/apireference/API_CreateJob.html,
 * API_JobExecutionsRolloutConfig, API_ExponentialRolloutRate, API_RateIncreaseCriteria,
 * API_AbortCriteria, API_TimeoutConfig, API_JobExecutionsRetryConfig, API_RetryCriteria,
 * API_SchedulingConfig, API_MaintenanceWindow, API_PresignedUrlConfig.
 * Every refusal is an InvalidRequestException naming the field.
 */
import { JobsError } from './jobs-error';
import type {
  AbortCriteria,
  CreateJobRequest,
  JobConfig,
  JobTemplateRecord,
  RetryCriteria,
  SchedulingConfig,
} from './job-records';
import { parseMaintenanceCron } from './maintenance-window';

/** CreateJob `document`: "Maximum length of 32768" (API_CreateJob). */
export const MAX_JOB_DOCUMENT_CHARS = 32_768;
const ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MINUTE = 60_000;

type Raw = Record<string, unknown>;

function invalid(field: string, message: string): JobsError {
  return new JobsError('InvalidRequestException', `${field}: ${message}`);
}

function obj(value: unknown, field: string): Raw | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'expected an object');
  return value as Raw;
}

function num(
  value: unknown,
  field: string,
  min: number,
  max: number,
  required = false,
): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw invalid(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw invalid(field, `expected a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

function int(
  value: unknown,
  field: string,
  min: number,
  max: number,
  required = false,
): number | undefined {
  const n = num(value, field, min, max, required);
  if (n !== undefined && !Number.isInteger(n))
    throw invalid(field, `expected an integer, got ${n}`);
  return n;
}

function str(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw invalid(field, `expected a string of 1 to ${max} characters`);
  return value;
}

function oneOf<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (!allowed.includes(value as T))
    throw invalid(field, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** AWS schedule times are `YYYY-MM-DDTHH:MM` in UTC (API_SchedulingConfig). */
export function parseScheduleTime(value: string, field: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::00(?:\.0+)?)?Z?$/.exec(value);
  if (!m) throw invalid(field, `expected YYYY-MM-DDTHH:MM (UTC), got ${JSON.stringify(value)}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
}

function scheduling(raw: Raw | undefined, now: number): SchedulingConfig | undefined {
  if (!raw) return undefined;
  const startTime = str(raw.startTime, 'schedulingConfig.startTime', 64);
  const endTime = str(raw.endTime, 'schedulingConfig.endTime', 64);
  const start =
    startTime === undefined
      ? undefined
      : parseScheduleTime(startTime, 'schedulingConfig.startTime');
  const end =
    endTime === undefined ? undefined : parseScheduleTime(endTime, 'schedulingConfig.endTime');
  // "The date and time must be at least 30 minutes ahead of the current time" / "endTime must be at
  // least 30 minutes after startTime" (API_SchedulingConfig).
  if (start !== undefined && start < now + 30 * MINUTE - MINUTE)
    throw invalid(
      'schedulingConfig.startTime',
      'must be at least 30 minutes after the current time',
    );
  if (end !== undefined && end < (start ?? now) + 30 * MINUTE)
    throw invalid('schedulingConfig.endTime', 'must be at least 30 minutes after startTime');
  const windowsRaw = raw.maintenanceWindows;
  if (windowsRaw !== undefined && !Array.isArray(windowsRaw))
    throw invalid('schedulingConfig.maintenanceWindows', 'expected a list');
  const maintenanceWindows = (windowsRaw as unknown[] | undefined)?.map((w, i) => {
    const field = `schedulingConfig.maintenanceWindows[${i}]`;
    const window = obj(w, field) ?? {};
    const startCron = str(window.startTime, `${field}.startTime`, 256);
    if (startCron === undefined) throw invalid(`${field}.startTime`, 'is required');
    try {
      parseMaintenanceCron(startCron);
    } catch (error) {
      throw invalid(`${field}.startTime`, (error as Error).message);
    }
    return {
      startTime: startCron,
      durationInMinutes: int(
        window.durationInMinutes,
        `${field}.durationInMinutes`,
        1,
        1430,
        true,
      )!,
    };
  });
  return {
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
    ...(raw.endBehavior === undefined
      ? {}
      : {
          endBehavior: oneOf(raw.endBehavior, 'schedulingConfig.endBehavior', [
            'STOP_ROLLOUT',
            'CANCEL',
            'FORCE_CANCEL',
          ] as const),
        }),
    ...(maintenanceWindows === undefined ? {} : { maintenanceWindows }),
  };
}

/** The job configuration fields of a CreateJob or CreateJobTemplate body. */
export function parseJobConfig(body: Raw, now: number): JobConfig {
  const document = body.document;
  if (document !== undefined && typeof document !== 'string')
    throw invalid('document', 'expected a string');
  if (typeof document === 'string') {
    if (document.length > MAX_JOB_DOCUMENT_CHARS)
      throw invalid(
        'document',
        `is ${document.length} characters, the maximum is ${MAX_JOB_DOCUMENT_CHARS}`,
      );
    try {
      JSON.parse(document);
    } catch (error) {
      throw invalid('document', `is not valid JSON: ${(error as Error).message}`);
    }
  }
  const documentSource = str(body.documentSource, 'documentSource', 1350);
  if (document !== undefined && documentSource !== undefined)
    throw invalid('document', 'give either document or documentSource, not both');
  const presigned = obj(body.presignedUrlConfig, 'presignedUrlConfig');
  const rollout = obj(body.jobExecutionsRolloutConfig, 'jobExecutionsRolloutConfig');
  const exponential = obj(rollout?.exponentialRate, 'jobExecutionsRolloutConfig.exponentialRate');
  let exponentialRate;
  if (exponential) {
    const criteria =
      obj(exponential.rateIncreaseCriteria, 'exponentialRate.rateIncreaseCriteria') ?? {};
    const notified = int(
      criteria.numberOfNotifiedThings,
      'rateIncreaseCriteria.numberOfNotifiedThings',
      1,
      Number.MAX_SAFE_INTEGER,
    );
    const succeeded = int(
      criteria.numberOfSucceededThings,
      'rateIncreaseCriteria.numberOfSucceededThings',
      1,
      Number.MAX_SAFE_INTEGER,
    );
    // API_RateIncreaseCriteria: one of the two.
    if ((notified === undefined) === (succeeded === undefined))
      throw invalid(
        'exponentialRate.rateIncreaseCriteria',
        'give exactly one of numberOfNotifiedThings and numberOfSucceededThings',
      );
    const factor = num(
      exponential.incrementFactor,
      'exponentialRate.incrementFactor',
      1.1,
      5,
      true,
    )!;
    if (Math.round(factor * 10) !== factor * 10)
      throw invalid(
        'exponentialRate.incrementFactor',
        'supports one digit after the decimal point',
      );
    exponentialRate = {
      baseRatePerMinute: int(
        exponential.baseRatePerMinute,
        'exponentialRate.baseRatePerMinute',
        1,
        1000,
        true,
      )!,
      incrementFactor: factor,
      rateIncreaseCriteria:
        notified !== undefined
          ? { numberOfNotifiedThings: notified }
          : { numberOfSucceededThings: succeeded },
    };
  }
  const abort = obj(body.abortConfig, 'abortConfig');
  let abortConfig;
  if (abort) {
    if (!Array.isArray(abort.criteriaList) || abort.criteriaList.length === 0)
      throw invalid('abortConfig.criteriaList', 'expected a non-empty list');
    abortConfig = {
      criteriaList: abort.criteriaList.map((c: unknown, i: number): AbortCriteria => {
        const field = `abortConfig.criteriaList[${i}]`;
        const raw = obj(c, field) ?? {};
        const threshold = num(
          raw.thresholdPercentage,
          `${field}.thresholdPercentage`,
          0,
          100,
          true,
        )!;
        if (Math.round(threshold * 100) !== Math.round(threshold * 1e6) / 1e4)
          throw invalid(
            `${field}.thresholdPercentage`,
            'supports up to two digits after the decimal point',
          );
        return {
          failureType:
            oneOf(raw.failureType, `${field}.failureType`, [
              'FAILED',
              'REJECTED',
              'TIMED_OUT',
              'ALL',
            ] as const) ??
            (() => {
              throw invalid(`${field}.failureType`, 'is required');
            })(),
          action:
            oneOf(raw.action, `${field}.action`, ['CANCEL'] as const) ??
            (() => {
              throw invalid(`${field}.action`, 'is required');
            })(),
          thresholdPercentage: threshold,
          minNumberOfExecutedThings: int(
            raw.minNumberOfExecutedThings,
            `${field}.minNumberOfExecutedThings`,
            1,
            Number.MAX_SAFE_INTEGER,
            true,
          )!,
        };
      }),
    };
  }
  const timeout = obj(body.timeoutConfig, 'timeoutConfig');
  const retry = obj(body.jobExecutionsRetryConfig, 'jobExecutionsRetryConfig');
  let retryConfig;
  if (retry) {
    const list = retry.criteriaList;
    if (!Array.isArray(list) || list.length < 1 || list.length > 2)
      throw invalid('jobExecutionsRetryConfig.criteriaList', 'expected 1 or 2 criteria');
    retryConfig = {
      criteriaList: list.map((c: unknown, i: number): RetryCriteria => {
        const field = `jobExecutionsRetryConfig.criteriaList[${i}]`;
        const raw = obj(c, field) ?? {};
        return {
          failureType:
            oneOf(raw.failureType, `${field}.failureType`, [
              'FAILED',
              'TIMED_OUT',
              'ALL',
            ] as const) ??
            (() => {
              throw invalid(`${field}.failureType`, 'is required');
            })(),
          numberOfRetries: int(raw.numberOfRetries, `${field}.numberOfRetries`, 0, 10, true)!,
        };
      }),
    };
  }
  const config: JobConfig = {
    description: str(body.description, 'description', 2028),
    document: document as string | undefined,
    documentSource,
    presignedUrlConfig: presigned
      ? {
          roleArn: str(presigned.roleArn, 'presignedUrlConfig.roleArn', 2048),
          expiresInSec:
            int(presigned.expiresInSec, 'presignedUrlConfig.expiresInSec', 60, 3600) ?? 3600,
        }
      : undefined,
    jobExecutionsRolloutConfig: rollout
      ? {
          maximumPerMinute: int(
            rollout.maximumPerMinute,
            'jobExecutionsRolloutConfig.maximumPerMinute',
            1,
            1000,
          ),
          exponentialRate,
        }
      : undefined,
    abortConfig,
    timeoutConfig: timeout
      ? {
          inProgressTimeoutInMinutes: int(
            timeout.inProgressTimeoutInMinutes,
            'timeoutConfig.inProgressTimeoutInMinutes',
            1,
            10_080,
          ),
        }
      : undefined,
    jobExecutionsRetryConfig: retryConfig,
    schedulingConfig: scheduling(obj(body.schedulingConfig, 'schedulingConfig'), now),
  };
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as JobConfig;
}

/** A CreateJob body (jobId from the path) → a validated request; a template fills what the body leaves out. */
export function parseCreateJobRequest(
  jobId: string,
  body: Raw,
  now: number,
  template?: JobTemplateRecord,
): CreateJobRequest {
  if (!ID_PATTERN.test(jobId))
    throw invalid(
      'jobId',
      `expected 1 to 64 characters of [a-zA-Z0-9_-], got ${JSON.stringify(jobId)}`,
    );
  const targets = body.targets;
  if (!Array.isArray(targets) || targets.length === 0 || targets.some(t => typeof t !== 'string'))
    throw invalid('targets', 'expected a non-empty list of thing or thing group ARNs');
  const config = parseJobConfig(body, now);
  const merged: JobConfig = template ? { ...stripTemplate(template), ...config } : config;
  if (merged.document === undefined && merged.documentSource === undefined)
    throw invalid(
      'document',
      'give document, documentSource or a jobTemplateArn whose template has one',
    );
  if (config.document !== undefined || config.documentSource !== undefined) {
    // A document given in the request replaces the template's.
    if (config.document !== undefined)
      delete (merged as { documentSource?: string }).documentSource;
    else delete (merged as { document?: string }).document;
  }
  const tags = body.tags;
  if (tags !== undefined && !Array.isArray(tags))
    throw invalid('tags', 'expected a list of {Key, Value}');
  return {
    ...merged,
    jobId,
    targets: [...new Set(targets as string[])],
    targetSelection:
      oneOf(body.targetSelection, 'targetSelection', ['SNAPSHOT', 'CONTINUOUS'] as const) ??
      'SNAPSHOT',
    ...(typeof body.jobTemplateArn === 'string' ? { jobTemplateArn: body.jobTemplateArn } : {}),
    ...(tags ? { tags: tags as CreateJobRequest['tags'] } : {}),
  };
}

function stripTemplate(template: JobTemplateRecord): JobConfig {
  const { jobTemplateId: _id, jobTemplateArn: _arn, createdAt: _at, ...config } = template;
  return config;
}

/** Canonical text of a request body for idempotence checks (key order does not matter). */
export function requestFingerprint(body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .filter(k => k !== 'clientToken')
              .map(k => [k, canon((v as Raw)[k])]),
          )
        : v;
  return JSON.stringify(canon(body));
}
