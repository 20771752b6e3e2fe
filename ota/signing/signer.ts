import { createHash, type KeyObject } from 'node:crypto';

/**
 * The two signature schemes this platform signs with, named after the key:
 * - `RSA-PSS-3072`: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32; Secure Boot V2 block version 2.
 *   KMS: key spec `RSA_3072`, algorithm `RSASSA_PSS_SHA_256`.
 * - `ECDSA-P256`: ECDSA over SHA-256 on NIST P-256; Secure Boot V2 block version 3 and the
 *   detached `sig-sha256-ecdsa` signature. KMS: key spec `ECC_NIST_P256`, `ECDSA_SHA_256`.
 */
export type SignatureAlgorithm = 'RSA-PSS-3072' | 'ECDSA-P256';

/** An incremental signing session: feed the message, then get its signature. */
export interface SigningSession {
  update(chunk: Uint8Array): void;
  finish(): Promise<Buffer>;
}

/**
 * Something that holds a private key and signs SHA-256 digests with it. Implementations: a
 * local PEM key (`PemSigner`, development and tests) and AWS KMS (`KmsSigner`); the scheme comes
 * from the key (`algorithmOf`).
 *
 * Signatures are returned as the scheme's usual bytes: RSA big-endian (`k` bytes), ECDSA ASN.1
 * DER. Callers that hash in one pass call `signDigest`; callers that have the message as a
 * stream may use `begin()`.
 */
export interface Signer {
  /** Names the key in manifests and logs (a KMS key id/ARN, or `sha256:<SPKI fingerprint>`). */
  readonly keyId: string;
  /**
   * True when signatures come from outside this process (KMS): every signature is then checked
   * against `getPublicKey()` before it is used, so a wrong key or a broken service never ships
   * an image. Local signers (`PemSigner`) compute them with code tested against node:crypto.
   */
  readonly verifyAfterSigning: boolean;
  /** The public key (read from KMS once, then cached). */
  getPublicKey(): Promise<KeyObject>;
  /** Signs a 32-byte SHA-256 digest. */
  signDigest(digest: Uint8Array): Promise<Buffer>;
  /** Hashes a message incrementally, then signs its digest. */
  begin(): SigningSession;
}

/** `begin()` for any signer: SHA-256 the chunks, then `signDigest`. */
export function beginWithDigest(signer: Pick<Signer, 'signDigest'>): SigningSession {
  const hash = createHash('sha256');
  return {
    update: chunk => void hash.update(chunk),
    finish: () => signer.signDigest(hash.digest()),
  };
}

/** `sha256:<hex>` of the key's SubjectPublicKeyInfo DER: a stable name for a local key. */
export function keyFingerprint(publicKey: KeyObject): string {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
