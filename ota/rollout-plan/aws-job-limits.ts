/**
 * AWS IoT Jobs limits that a rollout plan must respect, each from the AWS IoT API reference
 * (https://docs.aws.amazon.com/iot/latest/apireference/). Checked when a plan is parsed, so a bad
 * plan fails with a field-level error before any job is created, not with a 400 from CreateJob.
 */
export const AWS_JOB_LIMITS = {
  /** CreateJob `jobId`: 1–64 characters of `[a-zA-Z0-9_-]` (API_GetJobDocument / API_CreateJob, "jobId"). */
  jobIdMax: 64,
  jobIdPattern: /^[a-zA-Z0-9_-]+$/,
  /** Thing group names: 1–128 characters of `[a-zA-Z0-9:_-]` (API_CreateThingGroup, "thingGroupName"). */
  thingGroupNameMax: 128,
  thingGroupNamePattern: /^[a-zA-Z0-9:_-]+$/,
  /** CreateJob `description`: at most 2,028 characters (API_CreateJob). */
  descriptionMax: 2028,
  /**
   * ExponentialRolloutRate `baseRatePerMinute`: 1–1000 (API_ExponentialRolloutRate).
   * JobExecutionsRolloutConfig `maximumPerMinute`: the API reference now gives only "minimum 1";
   * the SDK models give 1–1000 (e.g. aws-sdk-android `JobExecutionsRolloutConfig`,
   * "Range: 1 - 1000"). We keep 1000: it is also the cap of the exponential base rate.
   */
  ratePerMinuteMin: 1,
  ratePerMinuteMax: 1000,
  /** ExponentialRolloutRate `incrementFactor`: 1.1–5, one digit after the decimal point. */
  incrementFactorMin: 1.1,
  incrementFactorMax: 5,
  /** RateIncreaseCriteria `numberOfNotifiedThings` / `numberOfSucceededThings`: at least 1. */
  rateIncreaseThresholdMin: 1,
  /** AbortCriteria `thresholdPercentage`: at most 100, two digits after the decimal point. */
  abortThresholdPercentageMax: 100,
  /** AbortCriteria `minNumberOfExecutedThings`: at least 1. */
  minNumberOfExecutedThingsMin: 1,
  /** TimeoutConfig `inProgressTimeoutInMinutes`: 1 minute to 7 days (API_TimeoutConfig). */
  inProgressTimeoutMinutesMin: 1,
  inProgressTimeoutMinutesMax: 10_080,
  /** RetryCriteria `numberOfRetries`: 0–10; JobExecutionsRetryConfig `criteriaList`: 1–2 items. */
  numberOfRetriesMax: 10,
  retryCriteriaMax: 2,
  /** MaintenanceWindow `durationInMinutes`: 1–1430; `startTime` (a cron expression): 1–256 characters. */
  maintenanceWindowDurationMax: 1430,
  maintenanceWindowStartTimeMax: 256,
  /**
   * SchedulingConfig: `startTime` at least 30 minutes ahead and at most a year ahead; `endTime` at
   * least 30 minutes after `startTime` and at most two years ahead (API_SchedulingConfig).
   */
  scheduleLeadMinutes: 30,
  scheduleStartMaxDays: 365,
  scheduleEndMinMinutes: 30,
  scheduleEndMaxDays: 730,
  /** PresignedUrlConfig `expiresInSec`: 60–3600; `roleArn`: 20–2048 characters (API_PresignedUrlConfig). */
  presignExpiresInSecMin: 60,
  presignExpiresInSecMax: 3600,
  roleArnMin: 20,
  roleArnMax: 2048,
} as const;

/** AbortCriteria `failureType` values (API_AbortCriteria). */
export const ABORT_FAILURE_TYPES = ['FAILED', 'REJECTED', 'TIMED_OUT', 'ALL'] as const;
/** RetryCriteria `failureType` values (API_RetryCriteria). */
export const RETRY_FAILURE_TYPES = ['FAILED', 'TIMED_OUT', 'ALL'] as const;
/** CreateJob `targetSelection` values. */
export const TARGET_SELECTIONS = ['SNAPSHOT', 'CONTINUOUS'] as const;
/** SchedulingConfig `endBehavior` values (API_SchedulingConfig). */
export const END_BEHAVIORS = ['STOP_ROLLOUT', 'CANCEL', 'FORCE_CANCEL'] as const;
