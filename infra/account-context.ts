/**
 * The account, region and partition a stack is deployed into, read from the provider's data
 * sources so that no ARN in the stack has an account id, region or partition typed into it: the
 * same program deploys to any account, to GovCloud or China partitions, and to the local cloud
 * (which answers these data sources with its own values).
 *
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/caller_identity
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';

export class AccountContext extends Construct {
  /** @attribute the partition, e.g. `aws` (a Terraform reference) */
  public readonly partition: string;
  /** @attribute the region, e.g. `eu-west-1` (a Terraform reference) */
  public readonly region: string;
  /** @attribute the 12-digit account id (a Terraform reference) */
  public readonly accountId: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.partition = new DataAwsPartition(this, 'Partition').partition;
    this.region = new DataAwsRegion(this, 'Region').region;
    this.accountId = new DataAwsCallerIdentity(this, 'Caller').accountId;
  }

  /**
   * An ARN in this account: `arn:<partition>:<service>:<region>:<account>:<resource>`.
   * Global services (IAM) leave the region empty, as their ARNs do.
   */
  public arn(
    service: string,
    resource: string,
    options: { readonly global?: boolean } = {},
  ): string {
    const region = options.global === true ? '' : this.region;
    return `arn:${this.partition}:${service}:${region}:${this.accountId}:${resource}`;
  }

  /** The account's root principal ARN, `arn:<partition>:iam::<account>:root`. */
  public get rootArn(): string {
    return this.arn('iam', 'root', { global: true });
  }
}
