/**
 * Asymmetric signing as AWS KMS does it, over a message digest (MessageType DIGEST; RAW is
 * hashed first and then takes the same path). node:crypto signs messages, not digests, so:
 *
 * - RSASSA-PSS: `ota/signing/rsa-pss` (EMSA-PSS-ENCODE, MGF1 with the same hash, salt length =
 *   hash length as KMS uses, random salt) then the raw RSA private operation;
 * - RSASSA-PKCS1-v1_5: the DigestInfo (RFC 8017 section 9.2, note 1 prefixes) with
 *   `privateEncrypt`'s PKCS #1 type 1 padding;
 * - ECDSA (FIPS 186-5 section 6.4.1): `@noble/curves` with `prehash: false`; the signature is
 *   DER `Ecdsa-Sig-Value` (RFC 3279 section 2.2.3), as KMS returns it.
 *
 * Every path is checked in tests by node:crypto `verify` over the original message.
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html
 */
import { constants, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { signDigestRsaPssWithSalt } from '../../ota/signing/rsa-pss';

/** Key specs we generate and sign with. */
export const SIGNING_KEY_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
] as const;
export type SigningKeySpec = (typeof SIGNING_KEY_SPECS)[number];

type Hash = 'sha256' | 'sha384' | 'sha512';

interface CurveFacts {
  readonly opensslName: string;
  readonly noble: typeof p256;
}

/** The curve of each ECC key spec, by its OpenSSL name (key generation) and noble curve (signing). */
const CURVES: Record<string, CurveFacts> = {
  ECC_NIST_P256: { opensslName: 'prime256v1', noble: p256 },
  ECC_NIST_P384: { opensslName: 'secp384r1', noble: p384 },
  ECC_NIST_P521: { opensslName: 'secp521r1', noble: p521 },
  ECC_SECG_P256K1: { opensslName: 'secp256k1', noble: secp256k1 },
};

/** Signing algorithms KMS offers per key spec (DescribeKey's `SigningAlgorithms`). */
export function signingAlgorithmsFor(spec: SigningKeySpec): string[] {
  switch (spec) {
    case 'ECC_NIST_P256':
    case 'ECC_SECG_P256K1':
      return ['ECDSA_SHA_256'];
    case 'ECC_NIST_P384':
      return ['ECDSA_SHA_384'];
    case 'ECC_NIST_P521':
      return ['ECDSA_SHA_512'];
    default:
      return [
        'RSASSA_PSS_SHA_256',
        'RSASSA_PSS_SHA_384',
        'RSASSA_PSS_SHA_512',
        'RSASSA_PKCS1_V1_5_SHA_256',
        'RSASSA_PKCS1_V1_5_SHA_384',
        'RSASSA_PKCS1_V1_5_SHA_512',
      ];
  }
}

/** The hash of a signing algorithm (`ECDSA_SHA_256` → sha256) and its digest length. */
export function hashOf(algorithm: string): { hash: Hash; length: number } {
  const bits = algorithm.slice(-3);
  const hash = `sha${bits}` as Hash;
  return { hash, length: Number(bits) / 8 };
}

/** DigestInfo DER prefixes for PKCS #1 v1.5 (RFC 8017 section 9.2, note 1). */
const DIGEST_INFO: Record<Hash, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** ECDSA over a digest (FIPS 186-5 section 6.4.1) by @noble/curves, DER as KMS returns it. */
function ecdsaSignDigest(key: KeyObject, curve: CurveFacts, digest: Buffer): Buffer {
  const d = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url');
  // Randomised nonces (extraEntropy), as KMS's signatures are not deterministic either.
  return Buffer.from(
    curve.noble.sign(digest, d, { prehash: false, lowS: false, format: 'der', extraEntropy: true }),
  );
}

/**
 * Sign `digest` (already hashed with the algorithm's hash) with `key` of `spec`.
 * Callers check that the algorithm suits the spec and the digest length first.
 */
export function signDigest(
  key: KeyObject,
  spec: SigningKeySpec,
  algorithm: string,
  digest: Buffer,
): Buffer {
  const { hash } = hashOf(algorithm);
  const curve = CURVES[spec];
  if (curve) return ecdsaSignDigest(key, curve, digest);
  if (algorithm.startsWith('RSASSA_PSS_')) {
    return signDigestRsaPssWithSalt(key, digest, randomBytes(digest.length), hash);
  }
  return privateEncrypt(
    { key, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]),
  );
}

/** Generate the key pair for a spec (`generateKeyPairSync` options per key type). */
export function keyGenerationOf(
  spec: SigningKeySpec,
): { type: 'rsa'; modulusLength: number } | { type: 'ec'; namedCurve: string } {
  const curve = CURVES[spec];
  return curve
    ? { type: 'ec', namedCurve: curve.opensslName }
    : { type: 'rsa', modulusLength: Number(spec.slice(4)) };
}
