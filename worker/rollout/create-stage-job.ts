/**
 * Creates the AWS IoT job of one stage, idempotently: the job id is `<releaseId>-<stage>`
 * (`rolloutJobId`), so a second attempt after a crash gets `ResourceAlreadyExistsException` and
 * reads the job with `DescribeJob` instead of creating another. One `CreateJob` call per stage,
 * whatever the size of its thing groups (targets are group ARNs; AWS fans out).
 */
import {
  CreateJobCommand,
  DescribeJobCommand,
  type IoTClient,
  type Job as IotJob,
} from '@aws-sdk/client-iot';
import { buildJobDocument } from '../../ota/job-document';
import { s3ObjectUrl } from '../../ota/presigned-url-placeholder';
import type { ReleaseManifest } from '../../ota/release-manifest';
import { buildCreateJobInput } from '../../ota/rollout-plan/create-job-input';
import type { RolloutStage } from '../../ota/rollout-plan/rollout-plan-schema';
import { rolloutJobId } from '../../ota/rollout-plan/rollout-job-id';
import { awsErrorName, rethrowAws } from '../clients/aws-error';
import type { ProcessorContext } from '../processors/processor-context';
import { releaseKeys } from '../release/release-store';
import { thingGroupName } from './thing-groups';

export interface CreatedStageJob {
  readonly jobId: string;
  readonly jobArn?: string;
  /** When the job was created (AWS's `createdAt`, or now). */
  readonly startedAt: number;
  /** False when the job existed already (a retried attempt). */
  readonly created: boolean;
}

/** DescribeJob, or null when AWS has no such job. */
export async function describeJob(
  iot: Pick<IoTClient, 'send'>,
  jobId: string,
): Promise<IotJob | null> {
  try {
    const out = await iot.send(new DescribeJobCommand({ jobId }));
    return out.job ?? null;
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return null;
    rethrowAws(`DescribeJob ${jobId}`, error);
  }
}

export async function createStageJob(
  ctx: ProcessorContext,
  stage: RolloutStage,
  manifest: ReleaseManifest,
  releaseId: string,
): Promise<CreatedStageJob> {
  const { config } = ctx;
  const jobId = rolloutJobId(releaseId, stage.name);
  const document = buildJobDocument(manifest, {
    objectUrl: s3ObjectUrl({
      partition: config.partition,
      region: config.region,
      bucket: config.firmwareBucket,
      key: releaseKeys.image(releaseId),
    }),
  });
  const resolved: RolloutStage = {
    ...stage,
    targets: stage.targets.map(t => thingGroupName(config.thingGroupPrefix, t)),
  };
  const input = buildCreateJobInput(resolved, document, {
    partition: config.partition,
    region: config.region,
    accountId: config.accountId,
    presignRoleArn: config.presignRoleArn,
    expiresInSec: config.presignExpiresInSec,
    now: new Date(ctx.now()),
  });
  try {
    const out = await ctx.clients.iot.send(new CreateJobCommand(input));
    return { jobId, jobArn: out.jobArn, startedAt: ctx.now(), created: true };
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceAlreadyExistsException')
      rethrowAws(`CreateJob ${jobId}`, error);
  }
  const existing = await describeJob(ctx.clients.iot, jobId);
  if (existing === null)
    throw new Error(
      `CreateJob ${jobId} said the job exists, but DescribeJob does not find it; retrying`,
    );
  return {
    jobId,
    jobArn: existing.jobArn,
    startedAt: existing.createdAt?.getTime() ?? ctx.now(),
    created: false,
  };
}
