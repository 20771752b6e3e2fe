/**
 * The IAM role the BullMQ worker runs as, with exactly what its processors call:
 * - build: `s3:PutObject`/`GetObject` (HEAD is authorized as GetObject) on the firmware bucket,
 *   `s3:ListBucket` so HEAD of a missing object answers 404 (not 403) — the idempotency check —
 *   SSE-KMS data keys on the bucket key, `kms:Sign`/`GetPublicKey` on the two signing keys;
 * - dispatch: `iot:CreateJob` on this account's jobs, the fleet's groups and things and the job
 *   templates, and `iam:PassRole` for the presign role only (CreateJob passes it in
 *   `presignedUrlConfig`);
 * - advance: describe/cancel jobs, list executions, fleet index queries.
 *
 * Action and resource types from the service authorization reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiot.html,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';
import type { FirmwareStore } from './firmware-store';
import type { OtaJobs } from './ota-jobs';
import { policyDocument, renderPolicy, type PolicyStatement } from './policy-document';
import type { SigningKey } from './signing-key';

export interface WorkerAccessProps {
  readonly account: AccountContext;
  readonly roleName: string;
  readonly store: FirmwareStore;
  /** Keys the worker signs with; each gets a key-policy grant for this role. */
  readonly signingKeys: readonly SigningKey[];
  readonly ota: OtaJobs;
  /** Things the worker may target: `<thingNamePrefix>-*`. */
  readonly thingNamePrefix: string;
  /**
   * Principals allowed to assume the role (ARNs).
   * @default the account root: principals of this account whose IAM policy allows sts:AssumeRole on it
   */
  readonly assumedBy?: readonly string[];
}

export class WorkerAccess extends Construct {
  /** @attribute */
  public readonly roleArn: string;
  /** @attribute */
  public readonly roleName: string;

  constructor(scope: Construct, id: string, props: WorkerAccessProps) {
    super(scope, id);
    checkName(NAME_RULES.iamRoleName, props.roleName);
    if (props.signingKeys.length === 0) throw new Error('signingKeys must hold at least one key');
    const { account, store, ota } = props;

    const role = new IamRole(this, 'Role', {
      name: props.roleName,
      assumeRolePolicy: renderPolicy(
        policyDocument({
          Effect: 'Allow',
          Principal: {
            AWS: props.assumedBy !== undefined ? [...props.assumedBy] : account.rootArn,
          },
          Action: 'sts:AssumeRole',
        }),
      ),
    });
    for (const key of props.signingKeys) key.grantSign(role.arn);

    const groupArns = [ota.devicesGroupArn, ...Object.values(ota.stageGroupArns)];
    const jobs = account.arn('iot', 'job/*');
    const statements: PolicyStatement[] = [
      {
        Sid: 'FirmwareObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: store.objectArn('*'),
      },
      {
        Sid: 'FirmwareBucketList',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: store.bucketArn,
      },
      {
        Sid: 'FirmwareEncryption',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: store.encryptionKeyArn,
      },
      {
        Sid: 'SignFirmware',
        Effect: 'Allow',
        Action: ['kms:GetPublicKey', 'kms:Sign'],
        Resource: props.signingKeys.map(key => key.keyArn),
      },
      {
        Sid: 'CreateOtaJobs',
        Effect: 'Allow',
        Action: 'iot:CreateJob',
        Resource: [
          jobs,
          ...groupArns,
          account.arn('iot', `thing/${props.thingNamePrefix}-*`),
          ...Object.values(ota.jobTemplates.templateArns),
        ],
      },
      {
        Sid: 'ManageOtaJobs',
        Effect: 'Allow',
        Action: [
          'iot:CancelJob',
          'iot:DescribeJob',
          'iot:DescribeJobExecution',
          'iot:ListJobExecutionsForJob',
        ],
        Resource: jobs,
      },
      {
        Sid: 'ReadJobTemplates',
        Effect: 'Allow',
        Action: 'iot:DescribeJobTemplate',
        Resource: Object.values(ota.jobTemplates.templateArns),
      },
      {
        Sid: 'ReadGroups',
        Effect: 'Allow',
        Action: 'iot:ListThingsInThingGroup',
        Resource: groupArns,
      },
      {
        Sid: 'QueryFleetIndex',
        Effect: 'Allow',
        Action: ['iot:GetStatistics', 'iot:SearchIndex'],
        Resource: account.arn('iot', 'index/AWS_Things'),
      },
      {
        Sid: 'PassPresignRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: ota.presignRoleArn,
        Condition: { StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } },
      },
    ];
    new IamRolePolicy(this, 'Policy', {
      role: role.id,
      name: 'fleet-worker',
      policy: renderPolicy(policyDocument(...statements)),
    });

    this.roleArn = role.arn;
    this.roleName = role.name;
  }
}
