/**
 * The firmware store: a private, versioned S3 bucket encrypted with a KMS key of its own, refusing
 * plain-HTTP access, expiring old object versions, and holding the OTA job document templates.
 *
 * Follows "Security best practices for Amazon S3"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html): block public
 * access, enforce TLS with `aws:SecureTransport`, bucket-owner-enforced object ownership (ACLs off),
 * SSE-KMS with an S3 Bucket Key (fewer KMS calls), versioning with a noncurrent-version lifecycle.
 */
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import type { AccountContext } from './account-context';
import { escapeTerraformTemplate, policyDocument, renderPolicy } from './policy-document';

export interface FirmwareStoreProps {
  readonly account: AccountContext;
  /**
   * The bucket name. S3 names are global, 3-63 characters of lowercase letters, digits, `.` and `-`
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html); it may contain
   * Terraform references (the account id), which are not checked here.
   */
  readonly bucketName: string;
  /** Alias of the bucket's KMS key, e.g. `alias/esp32-fleet-dev-firmware`. */
  readonly keyAliasName: string;
  /**
   * Days a noncurrent object version is kept.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Job document templates to store, by file name (`<name>.json`), as the JSON text AWS should
   * hold; `${`/`%{` are escaped for Terraform here, so the text must not hold Terraform references.
   * @default no templates
   */
  readonly jobDocumentTemplates?: Readonly<Record<string, string>>;
}

/** Where job document templates live in the bucket. */
export const JOB_DOCUMENT_TEMPLATE_PREFIX = 'job-documents/';

export class FirmwareStore extends Construct {
  /** @attribute */
  public readonly bucketName: string;
  /** @attribute */
  public readonly bucketArn: string;
  /** @attribute ARN of the symmetric KMS key that encrypts the objects */
  public readonly encryptionKeyArn: string;
  /** @attribute object keys of the stored job document templates */
  public readonly jobDocumentTemplateKeys: readonly string[];
  /** The template objects, for resources that must be created after them. */
  public readonly jobDocumentObjects: readonly S3Object[];

  constructor(scope: Construct, id: string, props: FirmwareStoreProps) {
    super(scope, id);
    const days = props.noncurrentVersionExpirationDays ?? 30;
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(
        `noncurrentVersionExpirationDays must be a whole number of days >= 1, got ${days}`,
      );
    }
    if (
      !/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(props.keyAliasName) ||
      props.keyAliasName.startsWith('alias/aws/')
    ) {
      throw new Error(
        `keyAliasName must be alias/<name> of [a-zA-Z0-9/_-] and not under alias/aws/, got ${props.keyAliasName}`,
      );
    }

    // Symmetric key for SSE-KMS. Its policy is KMS's default (account root, so IAM policies such
    // as the worker's grant use of it); asymmetric signing keys cannot encrypt S3 objects.
    const key = new KmsKey(this, 'Key', {
      description: `Encrypts firmware objects in ${props.bucketName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, 'KeyAlias', { name: props.keyAliasName, targetKeyId: key.keyId });
    this.encryptionKeyArn = key.arn;

    const bucket = new S3Bucket(this, 'Bucket', { bucket: props.bucketName });
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;

    new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'Ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const versioning = new S3BucketVersioningA(this, 'Versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
    new S3BucketPolicy(this, 'Policy', {
      bucket: bucket.id,
      policy: renderPolicy(
        policyDocument({
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ),
    });
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
    new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket: bucket.id,
      dependsOn: [versioning],
      rule: [
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: days }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });

    const templates = props.jobDocumentTemplates ?? {};
    this.jobDocumentTemplateKeys = Object.keys(templates).map(
      name => `${JOB_DOCUMENT_TEMPLATE_PREFIX}${name}`,
    );
    const objects: S3Object[] = [];
    for (const [name, content] of Object.entries(templates)) {
      if (Token.isUnresolved(content)) {
        throw new Error(
          `job document template ${name} holds a Terraform reference; use a {{field}} the worker fills instead`,
        );
      }
      if (!/^[a-z0-9-]+\.json$/.test(name)) {
        throw new Error(`job document template name must be <lowercase-name>.json, got ${name}`);
      }
      objects.push(
        new S3Object(this, `JobDocument-${name.replace(/\.json$/, '')}`, {
          bucket: bucket.id,
          key: `${JOB_DOCUMENT_TEMPLATE_PREFIX}${name}`,
          content: escapeTerraformTemplate(content),
          contentType: 'application/json',
          // Written after default encryption is in place, so the object is SSE-KMS from the start.
          dependsOn: [encryption],
        }),
      );
    }
    this.jobDocumentObjects = objects;
  }

  /** ARN of objects under a key pattern, e.g. `firmware/*`. */
  public objectArn(keyPattern: string): string {
    return `${this.bucketArn}/${keyPattern}`;
  }
}
