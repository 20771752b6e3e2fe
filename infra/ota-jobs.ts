/**
 * What OTA rollouts need in AWS IoT: thing groups (every device, plus one per rollout stage),
 * the IAM role AWS IoT Jobs assumes to presign S3 URLs in job documents, job and job-execution
 * lifecycle events, the job templates, and fleet indexing for rollout health gates.
 *
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs.html
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-events.html#events-enable
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IotEventConfigurations } from '@cdktf/provider-aws/lib/iot-event-configurations';
import { IotThingGroup } from '@cdktf/provider-aws/lib/iot-thing-group';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';
import type { RolloutDefaults } from './environment-schema';
import type { FirmwareStore } from './firmware-store';
import { FleetIndexing } from './fleet-indexing';
import { JobTemplates, type JobTemplateSpec } from './job-templates';
import { policyDocument, renderPolicy } from './policy-document';

export interface OtaJobsProps {
  readonly account: AccountContext;
  /** Prefix of group, role and template names, e.g. `esp32-fleet-dev`. */
  readonly namePrefix: string;
  readonly store: FirmwareStore;
  /** Object key of the job document the templates point at. */
  readonly jobDocumentKey: string;
  readonly rollout: RolloutDefaults;
  /**
   * Whether this stack manages the account-and-region singletons (event configuration, fleet
   * indexing). Turn off for a second environment in the same account and region.
   * @default true
   */
  readonly manageAccountSettings?: boolean;
}

export class OtaJobs extends Construct {
  /** @attribute name of the group every provisioned device joins */
  public readonly devicesGroupName: string;
  /** @attribute */
  public readonly devicesGroupArn: string;
  /** @attribute stage group names by stage, in rollout order */
  public readonly stageGroupNames: Readonly<Record<string, string>>;
  /** @attribute stage group ARNs by stage */
  public readonly stageGroupArns: Readonly<Record<string, string>>;
  /** @attribute the role AWS IoT Jobs assumes to presign S3 URLs */
  public readonly presignRoleArn: string;
  public readonly jobTemplates: JobTemplates;

  constructor(scope: Construct, id: string, props: OtaJobsProps) {
    super(scope, id);
    const { account, rollout, store } = props;

    const devices = new IotThingGroup(this, 'DevicesGroup', {
      name: checkName(NAME_RULES.thingGroupName, `${props.namePrefix}-devices`),
      properties: { description: 'Every provisioned device (fleet provisioning default group)' },
    });
    this.devicesGroupName = devices.name;
    this.devicesGroupArn = devices.arn;
    const stageNames: Record<string, string> = {};
    const stageArns: Record<string, string> = {};
    for (const [index, stage] of rollout.stages.entries()) {
      const group = new IotThingGroup(this, `Stage-${stage}`, {
        name: checkName(NAME_RULES.thingGroupName, `${props.namePrefix}-${stage}`),
        properties: {
          description: `OTA rollout stage ${index + 1} of ${rollout.stages.length}: ${stage}`,
        },
      });
      stageNames[stage] = group.name;
      stageArns[stage] = group.arn;
    }
    this.stageGroupNames = stageNames;
    this.stageGroupArns = stageArns;

    // https://docs.aws.amazon.com/iot/latest/developerguide/create-manage-jobs.html#create-manage-jobs-presigned-URLs
    const presignRole = new IamRole(this, 'PresignRole', {
      name: checkName(NAME_RULES.iamRoleName, `${props.namePrefix}-jobs-presign`),
      assumeRolePolicy: renderPolicy(
        policyDocument({
          Effect: 'Allow',
          Principal: { Service: 'iot.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': account.accountId } },
        }),
      ),
    });
    new IamRolePolicy(this, 'PresignPolicy', {
      role: presignRole.id,
      name: 'read-firmware',
      policy: renderPolicy(
        policyDocument(
          {
            Sid: 'ReadFirmwareObjects',
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: store.objectArn('*'),
          },
          // Objects are SSE-KMS: a presigned GET is served only if the signer may decrypt.
          {
            Sid: 'DecryptFirmwareObjects',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: store.encryptionKeyArn,
          },
        ),
      ),
    });
    this.presignRoleArn = presignRole.arn;

    const documentSource = `https://s3.${account.region}.amazonaws.com/${store.bucketName}/${props.jobDocumentKey}`;
    const common = {
      documentSource,
      maximumPerMinute: rollout.maximumPerMinute,
      abortThresholdPercentage: rollout.abortThresholdPercentage,
      abortMinExecutedThings: rollout.abortMinExecutedThings,
      inProgressTimeoutMinutes: rollout.inProgressTimeoutMinutes,
      retryAttempts: rollout.retryAttempts,
      presignRoleArn: presignRole.arn,
      presignedUrlExpiresSeconds: rollout.presignedUrlExpiresSeconds,
    };
    const templates: JobTemplateSpec[] = [
      {
        id: `${props.namePrefix}-ota`,
        description: 'OTA update, rolled out at any time',
        ...common,
      },
    ];
    if (rollout.maintenanceWindow !== undefined) {
      templates.push({
        id: `${props.namePrefix}-ota-window`,
        description: 'OTA update, rolled out in the maintenance window',
        ...common,
        maintenanceWindow: rollout.maintenanceWindow,
      });
    }
    this.jobTemplates = new JobTemplates(this, 'JobTemplates', {
      account,
      stackName: `${props.namePrefix}-job-templates`,
      templates,
      dependsOn: store.jobDocumentObjects,
    });

    if (props.manageAccountSettings ?? true) {
      new IotEventConfigurations(this, 'Events', {
        eventConfigurations: { JOB: true, JOB_EXECUTION: true },
      });
      new FleetIndexing(this, 'Indexing');
    }
  }
}
