/**
 * One fleet environment: every construct of `infra/` wired together in one Terraform stack
 * (`cdktf.out/stacks/<env>/cdk.tf.json`). The order below follows the references: the store and
 * OTA groups first, then the device identity and provisioning, then the worker's role, which
 * receives the signing keys' grants.
 */
import { posix, relative, resolve, sep } from 'node:path';
import {
  App,
  Fn,
  LocalBackend,
  ref,
  S3Backend,
  TerraformOutput,
  TerraformStack,
  Token,
} from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AccountContext } from './account-context';
import { ConsoleAccess } from './console-access';
import { CustomDomain } from './custom-domain';
import { DeviceIdentity } from './device-identity';
import type { Environment } from './environment-schema';
import { FirmwareStore } from './firmware-store';
import { FleetProvisioning } from './fleet-provisioning';
import {
  OTA_JOB_DOCUMENT_TEMPLATE_NAME,
  otaJobDocumentTemplate,
} from './ota-job-document-template';
import { OtaJobs } from './ota-jobs';
import { ProvisioningHookFunction } from './provisioning-hook-function';
import { SigningKey } from './signing-key';
import { WorkerAccess } from './worker-access';

export interface FleetStackOptions {
  /** Directory relative paths in the environment (claim CSR, local state) are resolved against. */
  readonly projectRoot: string;
  /**
   * Claim CSR to use instead of the environment's `claimCsrPath` (the local cloud passes its own).
   * @default the environment's claimCsrPath
   */
  readonly claimCsrPath?: string;
  /** Where the pre-provisioning hook bundle is cached. */
  readonly bundleCacheDir: string;
  /**
   * Whether this stack manages account-wide IoT settings (event configuration, fleet indexing).
   * @default true
   */
  readonly manageAccountSettings?: boolean;
}

/** A path from the stack's directory to `target`, in posix form for Terraform. */
function fromStackDir(stackDir: string, target: string): string {
  return relative(stackDir, target).split(sep).join(posix.sep);
}

export class FleetStack extends TerraformStack {
  public readonly environment: Environment;
  /** Absolute path of the claim CSR Terraform will read. */
  public readonly claimCsrPath: string;

  constructor(scope: Construct, id: string, env: Environment, options: FleetStackOptions) {
    super(scope, id);
    this.environment = env;
    const prefix = `esp32-fleet-${env.name}`;
    const stackDir = resolve(App.of(this).outdir, 'stacks', id);

    new AwsProvider(this, 'aws', { region: env.region, defaultTags: [{ tags: { ...env.tags } }] });
    if (env.backend !== undefined) {
      const backend = new S3Backend(this, {
        bucket: env.backend.bucket,
        key: env.backend.key,
        region: env.backend.region ?? env.region,
        dynamodbTable: env.backend.dynamodbTable,
        encrypt: true,
      });
      if (env.backend.useLockfile === true) backend.addOverride('use_lockfile', true);
    } else {
      // Relative to the stack directory, where cdktf runs terraform: the state lands in the
      // project root as terraform.<env>.tfstate (git-ignored) and the JSON names no home directory.
      new LocalBackend(this, {
        path: fromStackDir(stackDir, resolve(options.projectRoot, `terraform.${env.name}.tfstate`)),
      });
    }

    const account = new AccountContext(this, 'Account');
    const store = new FirmwareStore(this, 'FirmwareStore', {
      account,
      bucketName: `${prefix}-firmware-${account.accountId}`,
      keyAliasName: `alias/${prefix}/firmware-store`,
      noncurrentVersionExpirationDays: env.noncurrentVersionExpirationDays,
      jobDocumentTemplates: { [OTA_JOB_DOCUMENT_TEMPLATE_NAME]: otaJobDocumentTemplate() },
    });
    const secureBootKey = new SigningKey(this, 'SecureBootKey', {
      account,
      keySpec: env.signing.secureBootKeySpec,
      aliasName: `alias/${prefix}/secure-boot`,
      description: `Secure Boot V2 signing key of ${prefix} firmware`,
    });
    const updateKey = new SigningKey(this, 'UpdateKey', {
      account,
      keySpec: 'ECC_NIST_P256',
      aliasName: `alias/${prefix}/update`,
      description: `Signs the detached sig-sha256-ecdsa of ${prefix} OTA updates`,
    });
    const ota = new OtaJobs(this, 'OtaJobs', {
      account,
      namePrefix: prefix,
      store,
      jobDocumentKey: store.jobDocumentTemplateKeys[0],
      rollout: env.rollout,
      manageAccountSettings: options.manageAccountSettings,
    });
    const identity = new DeviceIdentity(this, 'DeviceIdentity', {
      account,
      thingTypeName: `${prefix}-esp32`,
      policyName: `${prefix}-device`,
      telemetryTopicPrefix: env.telemetryTopicPrefix,
    });
    const templateName = `${prefix}-provision`;
    const hook = new ProvisioningHookFunction(this, 'ProvisioningHook', {
      account,
      functionName: `${prefix}-pre-provisioning-hook`,
      templateName,
      serialPattern: env.serialPattern,
      serialDenyList: env.serialDenyList,
      bundleCacheDir: options.bundleCacheDir,
    });
    this.claimCsrPath = resolve(options.projectRoot, options.claimCsrPath ?? env.claimCsrPath);
    const pathModule = Token.asString(ref('path.module', this));
    const provisioning = new FleetProvisioning(this, 'FleetProvisioning', {
      account,
      templateName,
      thingNamePrefix: env.thingNamePrefix,
      deviceIdentity: identity,
      defaultThingGroupName: ota.devicesGroupName,
      hook,
      provisioningRoleName: `${prefix}-provisioning`,
      claimPolicyName: `${prefix}-claim`,
      claimCsr: Fn.file(`${pathModule}/${fromStackDir(stackDir, this.claimCsrPath)}`),
    });
    const domain = new CustomDomain(this, 'CustomDomain', {
      domainName: env.domainName,
      hostedZoneId: env.hostedZoneId,
      domainConfigurationName: `${prefix}-mqtt`,
    });
    const worker = new WorkerAccess(this, 'WorkerAccess', {
      account,
      roleName: `${prefix}-worker`,
      store,
      signingKeys: [secureBootKey, updateKey],
      ota,
      thingNamePrefix: env.thingNamePrefix,
    });
    const consoleAccess = new ConsoleAccess(this, 'ConsoleAccess', {
      account,
      roleName: `${prefix}-console`,
      policyName: `${prefix}-console`,
      clientIdPrefix: `${prefix}-console-`,
      thingNamePrefix: env.thingNamePrefix,
      telemetryTopicPrefix: env.telemetryTopicPrefix,
    });

    const outputs: Record<string, string | Record<string, string> | readonly string[]> = {
      iot_endpoint: domain.dataEndpoint,
      custom_domain: domain.domainName,
      firmware_bucket: store.bucketName,
      secure_boot_key_arn: secureBootKey.keyArn,
      update_key_arn: updateKey.keyArn,
      provisioning_template_name: provisioning.templateName,
      claim_certificate_id: provisioning.claimCertificateId,
      claim_certificate_pem: provisioning.claimCertificatePem,
      devices_group_arn: ota.devicesGroupArn,
      stage_group_arns: ota.stageGroupArns,
      job_template_ids: ota.jobTemplates.templateIds,
      worker_role_arn: worker.roleArn,
      console_role_arn: consoleAccess.roleArn,
      console_policy_name: consoleAccess.policyName,
      console_client_id_prefix: consoleAccess.clientIdPrefix,
    };
    for (const [name, value] of Object.entries(outputs)) new TerraformOutput(this, name, { value });
  }
}
