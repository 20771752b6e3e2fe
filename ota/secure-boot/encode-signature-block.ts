import { createHash, type KeyObject } from 'node:crypto';
import { decodeDerSignature } from '../signing/der-signature';
import { bigIntToBytes, bytesToBigInt } from '../signing/ecdsa-p256';
import { algorithmOf } from '../signing/key-algorithm';
import {
  BLOCK_MAGIC,
  BLOCK_SIZE,
  CRC_OFFSET,
  CurveId,
  EcdsaP256BlockOffset,
  EcdsaShaVersion,
  P256_BYTES,
  RSA_BITS,
  RSA_BYTES,
  RsaBlockOffset,
  VERSION_ECDSA,
  VERSION_RSA,
} from './constants';
import { crc32 } from './crc32';

/** Little-endian bytes of `value`, exactly `length` long (the RSA/ECC peripherals' order). */
function le(value: bigint, length: number): Buffer {
  return bigIntToBytes(value, length).reverse();
}

function jwkInt(value: string | undefined): bigint {
  if (!value) throw new TypeError('key has no such component');
  return bytesToBigInt(Buffer.from(value, 'base64url'));
}

/**
 * The RSA key material as the block stores it at offsets 36..811: n (LE), e (u32), R = 2^(2·3072)
 * mod n (LE), M' = −n⁻¹ mod 2^32 (u32) (esp32-image.md "RSA-3072 block"; espsecure
 * `_get_sbv2_rsa_primitives`: `rr = 1 << (key_size * 2)`, `m = -modinv(n, 1 << 32)`).
 */
export function rsaKeyMaterial(publicKey: KeyObject): Buffer {
  let material = materialCache.get(publicKey);
  if (!material) materialCache.set(publicKey, (material = computeRsaKeyMaterial(publicKey)));
  return material;
}

/** Key material per key object: R = 2^6144 mod n costs a big division, keys are reused. */
const materialCache = new WeakMap<KeyObject, Buffer>();

function computeRsaKeyMaterial(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const n = jwkInt(jwk.n);
  const e = jwkInt(jwk.e);
  const r = (1n << BigInt(2 * RSA_BITS)) % n;
  // n⁻¹ mod 2^32 by Newton's iteration (n odd): each step doubles the correct low bits.
  const m32 = 1n << 32n;
  const n32 = n % m32;
  let inv = n32;
  for (let i = 0; i < 5; i++) inv = (inv * (2n - ((n32 * inv) % m32))) % m32;
  inv = ((inv % m32) + m32) % m32;
  const mdash = (m32 - inv) % m32;
  const out = Buffer.alloc(RsaBlockOffset.signature - RsaBlockOffset.modulus);
  const at = (off: number) => off - RsaBlockOffset.modulus;
  le(n, RSA_BYTES).copy(out, at(RsaBlockOffset.modulus));
  out.writeUInt32LE(Number(e), at(RsaBlockOffset.exponent));
  le(r, RSA_BYTES).copy(out, at(RsaBlockOffset.rinv));
  out.writeUInt32LE(Number(mdash), at(RsaBlockOffset.mdash));
  return out;
}

/** The P-256 key material at offsets 36..100: curve id 2, then X‖Y little-endian. */
export function ecdsaP256KeyMaterial(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.from([CurveId.p256]),
    le(jwkInt(jwk.x), P256_BYTES),
    le(jwkInt(jwk.y), P256_BYTES),
  ]);
}

/**
 * The Secure Boot V2 key digest of a public key: SHA-256 of the key material as a block holds it
 * (what `espsecure digest_sbv2_public_key` writes and `signature_info_v2` prints), lowercase hex.
 */
export function keyDigestOf(publicKey: KeyObject): string {
  const material =
    algorithmOf(publicKey, 'publicKey') === 'RSA-PSS-3072'
      ? rsaKeyMaterial(publicKey)
      : ecdsaP256KeyMaterial(publicKey);
  return createHash('sha256').update(material).digest('hex');
}

function finishBlock(block: Buffer): Buffer {
  block.writeUInt32LE(crc32(block.subarray(0, CRC_OFFSET)), CRC_OFFSET);
  return block; // bytes 1200..1215 stay zero (esp32-image.md)
}

/**
 * Builds a version 2 (RSA-3072) block: digest of the signed content, key material, and the
 * big-endian RSA-PSS `signature` stored little-endian (espsecure `generate_rsa_signature_block`).
 */
export function encodeRsaBlock(
  digest: Uint8Array,
  publicKey: KeyObject,
  signature: Uint8Array,
): Buffer {
  if (signature.length !== RSA_BYTES)
    throw new RangeError(`RSA-3072 signature must be 384 bytes, got ${signature.length}`);
  const block = Buffer.alloc(BLOCK_SIZE);
  block[0] = BLOCK_MAGIC;
  block[1] = VERSION_RSA;
  Buffer.from(digest).copy(block, RsaBlockOffset.digest);
  rsaKeyMaterial(publicKey).copy(block, RsaBlockOffset.modulus);
  Buffer.from(signature).reverse().copy(block, RsaBlockOffset.signature);
  return finishBlock(block);
}

/**
 * Builds a version 3 (ECDSA P-256) block from a DER signature: byte 2 = 0 (SHA-256), digest,
 * curve id 2, point X‖Y and r‖s each 32 bytes little-endian, zero padding (espsecure
 * `generate_ecdsa_signature_block`, `_microecc_format`).
 */
export function encodeEcdsaP256Block(
  digest: Uint8Array,
  publicKey: KeyObject,
  derSignature: Uint8Array,
): Buffer {
  const { r, s } = decodeDerSignature(derSignature);
  const block = Buffer.alloc(BLOCK_SIZE);
  block[0] = BLOCK_MAGIC;
  block[1] = VERSION_ECDSA;
  block[EcdsaP256BlockOffset.shaVersion] = EcdsaShaVersion.sha256;
  Buffer.from(digest).copy(block, EcdsaP256BlockOffset.digest);
  ecdsaP256KeyMaterial(publicKey).copy(block, EcdsaP256BlockOffset.curveId);
  le(r, P256_BYTES).copy(block, EcdsaP256BlockOffset.signature);
  le(s, P256_BYTES).copy(block, EcdsaP256BlockOffset.signature + P256_BYTES);
  return finishBlock(block);
}
