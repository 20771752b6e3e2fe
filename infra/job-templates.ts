/**
 * AWS IoT job templates for OTA rollouts: each carries the rollout rate, abort criteria, timeout,
 * retries, presigned-URL settings and (optionally) a recurring maintenance window, so a release
 * job only names a template, its targets and its document.
 *
 * Why a CloudFormation stack: the Terraform AWS provider (v6) has no job template resource. The
 * choices were (a) the `awscc` provider's `awscc_iot_job_template` — a second provider to install,
 * pin and authenticate; (b) a `terraform_data`/`null_resource` running `aws iot
 * create-job-template` — imperative, needs the AWS CLI, no drift detection, no update or delete;
 * (c) an `aws_cloudformation_stack` holding `AWS::IoT::JobTemplate` resources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iot-jobtemplate.html).
 * (c) uses only the `aws` provider, and CloudFormation creates, replaces (job templates are
 * immutable: every property change "requires replacement") and deletes the templates with the
 * stack, so Terraform still owns their lifecycle.
 */
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { CloudformationStack } from '@cdktf/provider-aws/lib/cloudformation-stack';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';

export interface JobTemplateSpec {
  /** JobTemplateId, e.g. `esp32-fleet-dev-ota`. */
  readonly id: string;
  readonly description: string;
  /** S3 URL of the job document, `https://s3.<region>.amazonaws.com/<bucket>/<key>`. */
  readonly documentSource: string;
  /** JobExecutionsRolloutConfig.MaximumPerMinute. */
  readonly maximumPerMinute: number;
  /** Abort (CANCEL) when this percentage of executions failed, rejected or timed out. */
  readonly abortThresholdPercentage: number;
  /** ...and at least this many things have executed. */
  readonly abortMinExecutedThings: number;
  readonly inProgressTimeoutMinutes: number;
  /** Retries for FAILED and for TIMED_OUT executions (0 = none). */
  readonly retryAttempts: number;
  /** Role AWS IoT Jobs uses to presign the document's S3 URLs. */
  readonly presignRoleArn: string;
  readonly presignedUrlExpiresSeconds: number;
  /**
   * A recurring window (cron start, minutes) in which executions roll out.
   * @default rolls out at any time
   */
  readonly maintenanceWindow?: { readonly startTime: string; readonly durationMinutes: number };
}

export interface JobTemplatesProps {
  readonly account: AccountContext;
  readonly stackName: string;
  readonly templates: readonly JobTemplateSpec[];
  /**
   * Resources CloudFormation must wait for (the job document objects the templates point at).
   * @default none
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** CloudFormation logical ids are alphanumeric. */
function logicalId(templateId: string): string {
  return templateId
    .split(/[-_]/)
    .map(part => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The `AWS::IoT::JobTemplate` resource for one spec, as CloudFormation expects it. */
export function jobTemplateResource(spec: JobTemplateSpec): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    JobTemplateId: spec.id,
    Description: spec.description,
    DocumentSource: spec.documentSource,
    JobExecutionsRolloutConfig: { MaximumPerMinute: spec.maximumPerMinute },
    AbortConfig: {
      CriteriaList: [
        {
          Action: 'CANCEL',
          FailureType: 'ALL',
          MinNumberOfExecutedThings: spec.abortMinExecutedThings,
          ThresholdPercentage: spec.abortThresholdPercentage,
        },
      ],
    },
    TimeoutConfig: { InProgressTimeoutInMinutes: spec.inProgressTimeoutMinutes },
    PresignedUrlConfig: {
      RoleArn: spec.presignRoleArn,
      ExpiresInSec: spec.presignedUrlExpiresSeconds,
    },
  };
  if (spec.retryAttempts > 0) {
    properties.JobExecutionsRetryConfig = {
      RetryCriteriaList: [
        { FailureType: 'FAILED', NumberOfRetries: spec.retryAttempts },
        { FailureType: 'TIMED_OUT', NumberOfRetries: spec.retryAttempts },
      ],
    };
  }
  if (spec.maintenanceWindow !== undefined) {
    properties.MaintenanceWindows = [
      {
        StartTime: spec.maintenanceWindow.startTime,
        DurationInMinutes: spec.maintenanceWindow.durationMinutes,
      },
    ];
  }
  return { Type: 'AWS::IoT::JobTemplate', Properties: properties };
}

export class JobTemplates extends Construct {
  /** @attribute JobTemplateIds, in the order given */
  public readonly templateIds: readonly string[];
  /** @attribute job template ARNs by id (built from the data sources, so usable in IAM policies before apply) */
  public readonly templateArns: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: JobTemplatesProps) {
    super(scope, id);
    checkName(NAME_RULES.cloudFormationStackName, props.stackName);
    if (props.templates.length === 0)
      throw new Error('templates must hold at least one job template');
    const resources: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = {};
    const arns: Record<string, string> = {};
    for (const spec of props.templates) {
      checkName(NAME_RULES.jobTemplateId, spec.id);
      if (spec.abortThresholdPercentage < 0 || spec.abortThresholdPercentage > 100) {
        throw new Error(
          `job template ${spec.id}: abortThresholdPercentage must be 0-100, got ${spec.abortThresholdPercentage}`,
        );
      }
      const logical = logicalId(spec.id);
      if (logical in resources)
        throw new Error(`job template ids ${spec.id} collide after conversion to ${logical}`);
      resources[logical] = jobTemplateResource(spec);
      outputs[`${logical}Arn`] = { Value: { 'Fn::GetAtt': [logical, 'Arn'] } };
      arns[spec.id] = props.account.arn('iot', `jobtemplate/${spec.id}`);
    }
    new CloudformationStack(this, 'Stack', {
      name: props.stackName,
      templateBody: JSON.stringify({
        AWSTemplateFormatVersion: '2010-09-09',
        Description:
          'OTA job templates (managed by Terraform through esp32-fleet infra/job-templates.ts)',
        Resources: resources,
        Outputs: outputs,
      }),
      onFailure: 'DELETE',
      dependsOn: props.dependsOn !== undefined ? [...props.dependsOn] : undefined,
    });
    this.templateIds = props.templates.map(spec => spec.id);
    this.templateArns = arns;
  }
}
