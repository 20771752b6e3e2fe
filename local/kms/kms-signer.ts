/**
 * Asymmetric signing as AWS KMS does it, over a message digest (MessageType DIGEST; RAW is
 * hashed first and then takes the same path). node:crypto signs messages, not digests, so:
 *
 * - RSASSA-PSS: EMSA-PSS-ENCODE (RFC 8017 section 9.1.1, MGF1 with the same hash, salt length =
 *   hash length as KMS uses) then the raw RSA private operation (`privateEncrypt`, no padding);
 * - RSASSA-PKCS1-v1_5: the DigestInfo (RFC 8017 section 9.2, note 1 prefixes) with
 *   `privateEncrypt`'s PKCS #1 type 1 padding;
 * - ECDSA (FIPS 186-5 section 6.4.1): k·G is computed by OpenSSL through ECDH (setting k as the
 *   private key makes the public key k·G), then r = x mod n and s = k⁻¹(e + r·d) mod n in BigInt;
 *   the signature is DER `Ecdsa-Sig-Value` (RFC 3279 section 2.2.3), as KMS returns it.
 *
 * Every path is checked in tests by node:crypto `verify` over the original message.
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html
 */
import {
  constants,
  createECDH,
  createHash,
  privateEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

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
  readonly order: bigint;
}

/** Curve orders from SEC 2 v2 (section 2.4.1, 2.5.1, 2.6.1) and FIPS 186-5 / SP 800-186. */
const CURVES: Record<string, CurveFacts> = {
  ECC_NIST_P256: {
    opensslName: 'prime256v1',
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  ECC_NIST_P384: {
    opensslName: 'secp384r1',
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  ECC_NIST_P521: {
    opensslName: 'secp521r1',
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
  ECC_SECG_P256K1: {
    opensslName: 'secp256k1',
    order: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  },
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

/** MGF1 (RFC 8017 appendix B.2.1). */
function mgf1(seed: Buffer, length: number, hash: Hash): Buffer {
  const blocks: Buffer[] = [];
  let total = 0;
  for (let counter = 0; total < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    blocks.push(block);
    total += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with salt length = hash length. */
function emsaPssEncode(digest: Buffer, modulusBits: number, hash: Hash): Buffer {
  const hLen = digest.length;
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([0x01]), salt]);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  // The RSA input is modulus-sized; when emBits is a multiple of 8 a leading zero octet pads it.
  return Math.ceil(modulusBits / 8) > emLen ? Buffer.concat([Buffer.alloc(1), em]) : em;
}

/** DigestInfo DER prefixes for PKCS #1 v1.5 (RFC 8017 section 9.2, note 1). */
const DIGEST_INFO: Record<Hash, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function bigintOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bytesOf(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

function modInverse(a: bigint, n: bigint): bigint {
  let [oldR, r] = [((a % n) + n) % n, n];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % n) + n) % n;
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let body = Buffer.from(hex, 'hex');
  if (body[0] & 0x80) body = Buffer.concat([Buffer.alloc(1), body]);
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes = bytesOf(BigInt(length), length < 0x100 ? 1 : 2);
  return Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
}

function ecdsaSignDigest(key: KeyObject, curve: CurveFacts, digest: Buffer): Buffer {
  const n = curve.order;
  const nBytes = Math.ceil(n.toString(16).length / 2);
  const d = bigintOf(Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url'));
  // e = leftmost min(N, outlen) bits of the digest (FIPS 186-5 section 6.4.1 step 4).
  const nBits = n.toString(2).length;
  let e = bigintOf(digest);
  if (digest.length * 8 > nBits) e >>= BigInt(digest.length * 8 - nBits);
  const ecdh = createECDH(curve.opensslName);
  for (;;) {
    const k = (bigintOf(randomBytes(nBytes + 8)) % (n - 1n)) + 1n;
    ecdh.setPrivateKey(bytesOf(k, nBytes));
    const point = ecdh.getPublicKey();
    const x = bigintOf(point.subarray(1, 1 + (point.length - 1) / 2));
    const r = x % n;
    if (r === 0n) continue;
    const s = (modInverse(k, n) * (e + r * d)) % n;
    if (s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  }
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
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? Number(spec.slice(4));
  if (algorithm.startsWith('RSASSA_PSS_')) {
    return privateEncrypt(
      { key, padding: constants.RSA_NO_PADDING },
      emsaPssEncode(digest, modulusBits, hash),
    );
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
