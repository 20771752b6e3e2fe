/**
 * An asymmetric AWS KMS key that signs firmware: the private key never leaves KMS; the worker asks
 * KMS to sign digests (`kms:Sign` with `MessageType: DIGEST`) and reads the public key once
 * (`kms:GetPublicKey`) to embed it in Secure Boot V2 blocks and manifests.
 *
 * The stack makes two: the Secure Boot V2 key (RSA_3072 by default, ECC_NIST_P256 for chips with
 * ECDSA secure boot) and the "update" key (ECC_NIST_P256) behind the detached `sig-sha256-ecdsa`
 * signature the app checks before it switches partitions (see shared docs/esp32-image.md).
 *
 * Key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): the
 * account root may administer the key — KMS refuses a policy that would lock everyone out
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html) — but gets no
 * cryptographic use, so no IAM policy in the account can hand out `kms:Sign`; only the principals
 * granted with `grantSign` may sign, and only with the key's one signing algorithm.
 */
import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { AccountContext } from './account-context';
import type { SigningKeySpec } from './environment-schema';
import { policyDocument, renderPolicy, type PolicyStatement } from './policy-document';

/** The signing algorithm each key spec is used with (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html). */
export const SIGNING_ALGORITHM: Readonly<Record<SigningKeySpec, string>> = {
  // Secure Boot V2 RSA: RSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt (docs/esp32-image.md).
  RSA_3072: 'RSASSA_PSS_SHA_256',
  ECC_NIST_P256: 'ECDSA_SHA_256',
};

/**
 * Key administration actions the account root keeps. Deliberately no `kms:Sign`, `kms:Verify` or
 * `kms:GetPublicKey`, and no `kms:*`.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:EnableKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

export interface SigningKeyProps {
  readonly account: AccountContext;
  /**
   * The key spec.
   * @default 'RSA_3072'
   */
  readonly keySpec?: SigningKeySpec;
  /** Alias, e.g. `alias/esp32-fleet-dev-secure-boot`. */
  readonly aliasName: string;
  /** What the key signs, for humans reading the console. */
  readonly description: string;
}

export class SigningKey extends Construct {
  /** @attribute */
  public readonly keyArn: string;
  /** @attribute */
  public readonly keyId: string;
  /** @attribute the alias name, `alias/...` */
  public readonly aliasName: string;
  /** The key spec. */
  public readonly keySpec: SigningKeySpec;
  /** The one signing algorithm the key policy allows. */
  public readonly signingAlgorithm: string;
  private readonly signers: string[] = [];

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    this.keySpec = props.keySpec ?? 'RSA_3072';
    if (!(this.keySpec in SIGNING_ALGORITHM)) {
      throw new Error(
        `keySpec must be one of ${Object.keys(SIGNING_ALGORITHM).join(', ')}, got ${this.keySpec}`,
      );
    }
    if (
      !/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(props.aliasName) ||
      props.aliasName.startsWith('alias/aws/')
    ) {
      throw new Error(
        `aliasName must be alias/<name> of [a-zA-Z0-9/_-] and not under alias/aws/, got ${props.aliasName}`,
      );
    }
    this.signingAlgorithm = SIGNING_ALGORITHM[this.keySpec];
    const account = props.account;

    const key = new KmsKey(this, 'Key', {
      description: props.description,
      keyUsage: 'SIGN_VERIFY',
      customerMasterKeySpec: this.keySpec,
      deletionWindowInDays: 30,
      // Rendered at synth time, after every grantSign call.
      policy: Lazy.stringValue({
        produce: () => renderPolicy(policyDocument(...this.policyStatements(account))),
      }),
    });
    new KmsAlias(this, 'Alias', { name: props.aliasName, targetKeyId: key.keyId });
    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = props.aliasName;
  }

  /** Lets a principal (an IAM role ARN) call `kms:Sign` and `kms:GetPublicKey` on this key. */
  public grantSign(principalArn: string): void {
    this.signers.push(principalArn);
  }

  private policyStatements(account: AccountContext): PolicyStatement[] {
    // In a key policy `Resource: "*"` means "this key" (key policies are attached to one key).
    const statements: PolicyStatement[] = [
      {
        Sid: 'AccountAdministersKey',
        Effect: 'Allow',
        Principal: { AWS: account.rootArn },
        Action: [...KEY_ADMIN_ACTIONS],
        Resource: '*',
      },
    ];
    if (this.signers.length > 0) {
      statements.push(
        {
          Sid: 'SignersSign',
          Effect: 'Allow',
          Principal: { AWS: [...this.signers] },
          Action: 'kms:Sign',
          Resource: '*',
          Condition: { StringEquals: { 'kms:SigningAlgorithm': this.signingAlgorithm } },
        },
        {
          Sid: 'SignersReadPublicKey',
          Effect: 'Allow',
          Principal: { AWS: [...this.signers] },
          Action: 'kms:GetPublicKey',
          Resource: '*',
        },
      );
    }
    return statements;
  }
}
