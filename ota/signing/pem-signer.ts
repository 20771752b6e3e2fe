import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyUnsupportedError } from '../errors/key-unsupported-error';
import { encodeDerSignature } from './der-signature';
import { bytesToBigInt, signDigestP256 } from './ecdsa-p256';
import { algorithmOf } from './key-algorithm';
import { pssSaltKey, signDigestRsaPss } from './rsa-pss';
import {
  beginWithDigest,
  keyFingerprint,
  type Signer,
  type SignatureAlgorithm,
  type SigningSession,
} from './signer';

/**
 * A signer over a local private key given as PEM bytes (development and tests; the caller reads
 * the file, `ota/` does no I/O). RSA-3072 signs RSA-PSS, EC P-256 signs ECDSA; both over a
 * digest and deterministically (see `rsa-pss.ts`, `ecdsa-p256.ts`).
 */
export class PemSigner implements Signer {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly verifyAfterSigning = false;
  private readonly saltKey: Buffer;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly scalar?: bigint;

  constructor(pem: string | Uint8Array, keyId?: string) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: Buffer.from(pem), format: 'pem' });
    } catch (error) {
      throw new KeyUnsupportedError(`cannot read a PEM private key: ${(error as Error).message}`);
    }
    this.privateKey = key;
    this.algorithm = algorithmOf(key);
    this.publicKey = createPublicKey(key);
    this.keyId = keyId ?? keyFingerprint(this.publicKey);
    this.saltKey = pssSaltKey(key);
    if (this.algorithm === 'ECDSA-P256') {
      const d = key.export({ format: 'jwk' }).d;
      if (!d) throw new KeyUnsupportedError('EC private key has no private scalar');
      this.scalar = bytesToBigInt(Buffer.from(d, 'base64url'));
    }
  }

  async getPublicKey(): Promise<KeyObject> {
    return this.publicKey;
  }

  async signDigest(digest: Uint8Array): Promise<Buffer> {
    if (this.scalar !== undefined) return encodeDerSignature(signDigestP256(this.scalar, digest));
    return signDigestRsaPss(this.privateKey, digest, this.saltKey);
  }

  begin(): SigningSession {
    return beginWithDigest(this);
  }
}
