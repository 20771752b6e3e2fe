import { createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { KeyUnsupportedError } from '../errors/key-unsupported-error';
import { SigningError } from '../errors/signing-error';
import { algorithmOf } from './key-algorithm';
import {
  beginWithDigest,
  type Signer,
  type SignatureAlgorithm,
  type SigningSession,
} from './signer';

/** KMS `SigningAlgorithm` per scheme (KMS API reference, `Sign`, "SigningAlgorithm"). */
const KMS_ALGORITHM: Record<SignatureAlgorithm, 'RSASSA_PSS_SHA_256' | 'ECDSA_SHA_256'> = {
  'RSA-PSS-3072': 'RSASSA_PSS_SHA_256',
  'ECDSA-P256': 'ECDSA_SHA_256',
};

/** The part of `KMSClient` this signer uses: the caller injects a configured client. */
export type KmsSend = Pick<KMSClient, 'send'>;

/**
 * A signer whose private key stays in AWS KMS (or anything answering the KMS API: the endpoint
 * is the injected client's, nothing here names a host). `GetPublicKey` tells the scheme
 * (`RSA_3072` → RSASSA_PSS_SHA_256, whose salt length is the digest length, 32; `ECC_NIST_P256`
 * → ECDSA_SHA_256, DER signatures); `Sign` gets the SHA-256 digest with `MessageType: DIGEST`, so
 * the image never leaves the machine.
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html
 */
export class KmsSigner implements Signer {
  readonly verifyAfterSigning = true;
  private publicKey?: Promise<KeyObject>;

  constructor(
    private readonly client: KmsSend,
    readonly keyId: string,
  ) {}

  getPublicKey(): Promise<KeyObject> {
    this.publicKey ??= this.fetchPublicKey();
    return this.publicKey;
  }

  private async fetchPublicKey(): Promise<KeyObject> {
    const out = await this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (out.KeyUsage && out.KeyUsage !== 'SIGN_VERIFY') {
      throw new KeyUnsupportedError(
        `KMS key ${this.keyId} has KeyUsage ${out.KeyUsage}; expected SIGN_VERIFY`,
      );
    }
    if (!out.PublicKey)
      throw new SigningError(`KMS GetPublicKey for ${this.keyId} returned no PublicKey`);
    const key = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
    algorithmOf(key, `kms:${this.keyId}`);
    return key;
  }

  async signDigest(digest: Uint8Array): Promise<Buffer> {
    const algorithm = algorithmOf(await this.getPublicKey(), `kms:${this.keyId}`);
    const out = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: KMS_ALGORITHM[algorithm],
      }),
    );
    if (!out.Signature) throw new SigningError(`KMS Sign for ${this.keyId} returned no Signature`);
    return Buffer.from(out.Signature);
  }

  begin(): SigningSession {
    return beginWithDigest(this);
  }
}
