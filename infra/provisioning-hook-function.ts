/**
 * The pre-provisioning hook as a Lambda function: the bundled `provisioning-hook/handler.ts`
 * (a ZIP archive, copied into the stack as a cdktf file asset), its execution role (logs only), its log group, and the permission for
 * AWS IoT to invoke it — limited to this account's provisioning template, as AWS asks to prevent
 * the confused-deputy problem
 * (https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html,
 * https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html).
 */
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { AccountContext } from './account-context';
import { checkName, NAME_RULES } from './aws-names';
import { escapeTerraformTemplate, policyDocument, renderPolicy } from './policy-document';
import { bundleProvisioningHook, HOOK_LAMBDA_HANDLER } from './provisioning-hook/bundle';
import { HOOK_ENV } from './provisioning-hook/handler';

export interface ProvisioningHookFunctionProps {
  readonly account: AccountContext;
  readonly functionName: string;
  /** Name of the provisioning template allowed to invoke the function. */
  readonly templateName: string;
  /** Anchored regular expression a serial must match. */
  readonly serialPattern: string;
  /**
   * Serials refused even when they match.
   * @default none
   */
  readonly serialDenyList?: readonly string[];
  /** Directory the bundle is cached in (see `bundleProvisioningHook`). */
  readonly bundleCacheDir: string;
  /**
   * Days CloudWatch keeps the hook's log.
   * @default 90
   */
  readonly logRetentionDays?: number;
}

export class ProvisioningHookFunction extends Construct {
  /** @attribute */
  public readonly functionArn: string;
  /** @attribute */
  public readonly functionName: string;
  /** The permission resource; the template must be created after it. */
  public readonly invokePermission: LambdaPermission;

  constructor(scope: Construct, id: string, props: ProvisioningHookFunctionProps) {
    super(scope, id);
    checkName(NAME_RULES.lambdaFunctionName, props.functionName);
    checkName(NAME_RULES.iamRoleName, props.functionName);
    try {
      new RegExp(props.serialPattern);
    } catch (error) {
      throw new Error(
        `serialPattern ${props.serialPattern} is not a valid regular expression: ${(error as Error).message}`,
      );
    }
    const account = props.account;

    const logGroup = new CloudwatchLogGroup(this, 'Logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays ?? 90,
    });
    const role = new IamRole(this, 'Role', {
      name: props.functionName,
      assumeRolePolicy: renderPolicy(
        policyDocument({
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        }),
      ),
    });
    // The two actions AWSLambdaBasicExecutionRole grants, on this function's log group only
    // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
    new IamRolePolicy(this, 'Logging', {
      role: role.id,
      name: 'write-own-logs',
      policy: renderPolicy(
        policyDocument({
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `${logGroup.arn}:*`,
        }),
      ),
    });

    const asset = new TerraformAsset(this, 'Code', {
      // Already a ZIP (see provisioning-hook/bundle.ts): copied into the stack as it is.
      path: bundleProvisioningHook(props.bundleCacheDir),
      type: AssetType.FILE,
    });
    const fn = new LambdaFunction(this, 'Function', {
      functionName: props.functionName,
      description: 'Pre-provisioning hook: refuses serials outside the pattern or on the deny list',
      role: role.arn,
      runtime: 'nodejs20.x',
      handler: HOOK_LAMBDA_HANDLER,
      filename: asset.path,
      sourceCodeHash: asset.assetHash,
      // AWS IoT waits at most 5 s for the hook.
      timeout: 5,
      memorySize: 128,
      environment: {
        variables: {
          [HOOK_ENV.serialPattern]: escapeTerraformTemplate(props.serialPattern),
          [HOOK_ENV.serialDenyList]: escapeTerraformTemplate(
            JSON.stringify(props.serialDenyList ?? []),
          ),
        },
      },
      dependsOn: [logGroup],
    });
    this.invokePermission = new LambdaPermission(this, 'InvokeByIot', {
      functionName: fn.functionName,
      action: 'lambda:InvokeFunction',
      principal: 'iot.amazonaws.com',
      sourceArn: account.arn('iot', `provisioningtemplate/${props.templateName}`),
      sourceAccount: account.accountId,
    });
    this.functionArn = fn.arn;
    this.functionName = fn.functionName;
  }
}
