/**
 * The shape of one fleet environment's configuration, as a zod schema: the single place where
 * environment values are checked before any construct sees them. Limits quoted here come from the
 * AWS pages linked beside each field, so a bad value fails at synth time with the field's path
 * rather than at `terraform apply` with an AWS error.
 */
import { z } from 'zod';

/** Key specs AWS KMS offers for asymmetric signing keys that the firmware can check. */
export const SIGNING_KEY_SPECS = ['RSA_3072', 'ECC_NIST_P256'] as const;
export type SigningKeySpec = (typeof SIGNING_KEY_SPECS)[number];

/**
 * Names we derive from the environment name end up in IAM role names (64 characters) and the
 * provisioning template name (36 characters,
 * https://docs.aws.amazon.com/iot/latest/apireference/API_CreateProvisioningTemplate.html), so
 * the environment name itself is kept short.
 */
const envName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,11}$/,
    'must be 2-12 characters: lowercase letters, digits, "-", starting with a letter',
  );

/** A regular expression given as text; it must compile and be anchored so it matches whole serials. */
const anchoredRegex = z
  .string()
  .min(2)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `is not a valid regular expression: ${(error as Error).message}`,
      });
      return;
    }
    if (!source.startsWith('^') || !source.endsWith('$')) {
      ctx.addIssue({
        code: 'custom',
        message: `must be anchored with ^...$ so it matches the whole serial, got ${source}`,
      });
    }
  });

/**
 * Rollout defaults for the OTA job templates. Ranges from the AWS::IoT::JobTemplate property pages
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iot-jobtemplate.html).
 */
export const rolloutSchema = z.strictObject({
  /** Thing groups for the rollout stages, in order (canary first). */
  stages: z
    .array(
      z
        .string()
        .regex(
          /^[a-z][a-z0-9-]{0,31}$/,
          'stage names are lowercase letters, digits and "-", at most 32',
        ),
    )
    .min(1)
    .refine(stages => new Set(stages).size === stages.length, 'stage names must be unique'),
  /** JobExecutionsRolloutConfig.MaximumPerMinute: 1..1000. */
  maximumPerMinute: z.int().min(1).max(1000),
  /** AbortCriteria.ThresholdPercentage for FailureType ALL: 0..100, two decimals at most. */
  abortThresholdPercentage: z
    .number()
    .min(0)
    .max(100)
    .refine(
      value => Math.round(value * 100) === value * 100,
      'at most two digits after the decimal point',
    ),
  /** AbortCriteria.MinNumberOfExecutedThings: at least 1. */
  abortMinExecutedThings: z.int().min(1),
  /** TimeoutConfig.InProgressTimeoutInMinutes: 1..10080 (7 days). */
  inProgressTimeoutMinutes: z.int().min(1).max(10080),
  /** RetryCriteria.NumberOfRetries for FAILED and TIMED_OUT: 0..10. */
  retryAttempts: z.int().min(0).max(10),
  /** PresignedUrlConfig.ExpiresInSec: 60..3600. */
  presignedUrlExpiresSeconds: z.int().min(60).max(3600),
  /** Optional recurring maintenance window for the "nightly" template. */
  maintenanceWindow: z
    .strictObject({
      /** A cron expression, e.g. `cron(0 2 * * ? *)` for 02:00 UTC every day. */
      startTime: z
        .string()
        .regex(/^cron\(.+\)$/, 'must be a cron(...) expression')
        .max(256),
      /** MaintenanceWindow.DurationInMinutes: 1..1430. */
      durationMinutes: z.int().min(1).max(1430),
    })
    .optional(),
});

/** Optional S3 backend for the Terraform state (https://developer.hashicorp.com/terraform/language/backend/s3). */
export const backendSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  key: z.string().min(1).max(1024),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
    .optional(),
  /** DynamoDB table for state locking (the classic S3 backend lock). */
  dynamodbTable: z.string().min(3).max(255).optional(),
  /** S3-native state locking (Terraform 1.10+), instead of or beside the DynamoDB table. */
  useLockfile: z.boolean().optional(),
});

export const environmentSchema = z.strictObject({
  name: envName,
  /** AWS region of every resource in the environment. */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  /** Custom domain for the devices' MQTT endpoint, e.g. `mqtt.dev.example.com`. */
  domainName: z
    .string()
    .max(253)
    .regex(
      /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/,
      'must be a lowercase DNS name such as mqtt.example.com',
    ),
  /** Route53 hosted zone that holds `domainName` (its id, e.g. `Z0123456789ABCDEFGHIJ`). */
  hostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
  /**
   * Things are named `<thingNamePrefix>-<serial>`. Thing names allow `[a-zA-Z0-9:_-]` up to 128
   * characters (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html).
   */
  thingNamePrefix: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,48}$/, 'must be 1-48 characters of [a-zA-Z0-9_-]'),
  /**
   * Devices publish telemetry under `<telemetryTopicPrefix>/<thing name>/...`; the device policy
   * allows only their own branch. No leading `$` (reserved) and no MQTT wildcards.
   */
  telemetryTopicPrefix: z
    .string()
    .regex(
      /^[a-zA-Z0-9_-]+(\/[a-zA-Z0-9_-]+)*$/,
      'must be topic levels of [a-zA-Z0-9_-] joined by "/", without wildcards',
    )
    .default('fleet/telemetry'),
  /** Serials the pre-provisioning hook accepts (anchored regular expression). */
  serialPattern: anchoredRegex,
  /** Serials the hook refuses even when they match the pattern (returned, stolen, test units). */
  serialDenyList: z.array(z.string().min(1).max(64)).default([]),
  rollout: rolloutSchema,
  signing: z.strictObject({
    /** Secure Boot V2 key: RSA_3072 (ESP32 and most chips) or ECC_NIST_P256 (chips with ECDSA secure boot). */
    secureBootKeySpec: z.enum(SIGNING_KEY_SPECS),
  }),
  /**
   * Path (relative to the project root, or absolute) of the claim certificate's CSR, written by
   * `fleet claim-cert`. Terraform reads it with `file()` at plan time; synth never opens it.
   */
  claimCsrPath: z.string().min(1),
  /** Days a noncurrent firmware object version is kept before S3 expires it. */
  noncurrentVersionExpirationDays: z.int().min(1).max(3650),
  backend: backendSchema.optional(),
  tags: z.record(z.string().regex(/^[\w .:/=+@-]{1,128}$/), z.string().max(256)).default({}),
});

/** An environment as written in `infra/environments.ts` (defaults not yet applied). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** A validated environment with defaults applied: what constructs receive. */
export type Environment = z.output<typeof environmentSchema>;
export type RolloutDefaults = z.output<typeof rolloutSchema>;
export type BackendConfig = z.output<typeof backendSchema>;
