import type { KeyObject } from 'node:crypto';
import { KeyUnsupportedError } from '../errors/key-unsupported-error';
import { SigningError } from '../errors/signing-error';
import { decodeDerSignature } from './der-signature';
import { bytesToBigInt, verifyDigestP256 } from './ecdsa-p256';
import { algorithmOf } from './key-algorithm';
import type { Signer } from './signer';

/**
 * The detached signature the device checks before it switches partitions: ECDSA P-256 over the
 * SHA-256 of the final (signed) image, ASN.1 DER, base64 — AWS IoT OTA's `sig-sha256-ecdsa`
 * convention (esp32-image.md "AWS IoT OTA conventions").
 */
export interface DetachedSignature {
  /** The job-document field name: `sig-sha256-ecdsa`. */
  readonly type: 'sig-sha256-ecdsa';
  /** Base64 of the DER signature. */
  readonly value: string;
  readonly keyId: string;
}

function p256Point(publicKey: KeyObject): { x: bigint; y: bigint } {
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    x: bytesToBigInt(Buffer.from(jwk.x ?? '', 'base64url')),
    y: bytesToBigInt(Buffer.from(jwk.y ?? '', 'base64url')),
  };
}

/**
 * Signs `sha256` (32 bytes) with an ECDSA P-256 signer; a remote signer's result is checked with
 * its public key (`Signer.verifyAfterSigning`).
 */
export async function createDetachedSignature(
  signer: Signer,
  sha256: Uint8Array,
): Promise<DetachedSignature> {
  const publicKey = await signer.getPublicKey();
  if (algorithmOf(publicKey, 'updateSigner') !== 'ECDSA-P256') {
    throw new KeyUnsupportedError(
      `the update signer ${signer.keyId} must be an ECDSA P-256 key (sig-sha256-ecdsa)`,
      'updateSigner',
    );
  }
  const der = await signer.signDigest(sha256);
  const signature = decodeDerSignature(der); // malformed DER throws here, whoever signed
  if (signer.verifyAfterSigning && !verifyDigestP256(p256Point(publicKey), sha256, signature)) {
    throw new SigningError(
      `detached signature from key ${signer.keyId} does not verify with its own public key`,
      'updateSigner',
    );
  }
  return { type: 'sig-sha256-ecdsa', value: der.toString('base64'), keyId: signer.keyId };
}

/** Checks a base64 DER `sig-sha256-ecdsa` signature over a SHA-256 digest with a P-256 public key. */
export function verifyDetachedSignature(
  publicKey: KeyObject,
  sha256: Uint8Array,
  base64: string,
): boolean {
  if (algorithmOf(publicKey, 'publicKey') !== 'ECDSA-P256') return false;
  try {
    return verifyDigestP256(
      p256Point(publicKey),
      sha256,
      decodeDerSignature(Buffer.from(base64, 'base64')),
    );
  } catch {
    return false;
  }
}
