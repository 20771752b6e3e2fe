/**
 * ECDSA on NIST P-256 over a precomputed SHA-256 digest, with deterministic nonces (RFC 6979).
 *
 * Why not `node:crypto` alone: it hashes the message itself and has no way to sign or verify a
 * digest that was computed elsewhere (`crypto.sign(null, digest, ecKey)` signs SHA-256(digest)).
 * Our release pipeline hashes each byte once and needs ECDSA over that digest (the detached
 * `sig-sha256-ecdsa` signature, Secure Boot V2 version 3 blocks), as KMS does with
 * `MessageType: DIGEST`. The curve arithmetic is `@noble/curves` (audited, no dependencies)
 * rather than code of ours. Deterministic nonces make a release signed twice with the same local
 * key byte-identical, so content-addressed storage stays idempotent.
 *
 * Every signature is checked against `node:crypto`'s verifier in the tests, and the RFC 6979
 * A.2.5 vectors are reproduced exactly.
 */
import { p256 } from '@noble/curves/nist.js';

const N = p256.Point.Fn.ORDER;

/** An affine point of P-256. */
export interface AffinePoint {
  readonly x: bigint;
  readonly y: bigint;
}

/** An ECDSA signature as its two integers. */
export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/** Big-endian bytes → bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** bigint → big-endian bytes of exactly `length`. */
export function bigIntToBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`);
  return Buffer.from(hex, 'hex');
}

/** True if `q` is a point of P-256 (not infinity). */
export function isOnCurve(q: AffinePoint): boolean {
  try {
    p256.Point.fromAffine({ x: q.x, y: q.y }).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/**
 * Signs a 32-byte SHA-256 digest with private scalar `d` (FIPS 186-4 §6.4, nonce per RFC 6979).
 * `s` is not normalised to the lower half: ESP-IDF, espsecure and KMS accept either.
 */
export function signDigestP256(d: bigint, digest: Uint8Array): EcdsaSignature {
  if (digest.length !== 32) throw new RangeError(`digest must be 32 bytes, got ${digest.length}`);
  if (d <= 0n || d >= N) throw new RangeError('private scalar out of range');
  const compact = p256.sign(digest, bigIntToBytes(d, 32), { prehash: false, lowS: false });
  const signature = p256.Signature.fromBytes(compact, 'compact');
  return { r: signature.r, s: signature.s };
}

/** Verifies an ECDSA signature over a 32-byte digest with public point `q` (FIPS 186-4 §6.4.2). */
export function verifyDigestP256(
  q: AffinePoint,
  digest: Uint8Array,
  { r, s }: EcdsaSignature,
): boolean {
  if (digest.length !== 32 || !isOnCurve(q)) return false;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const compact = Buffer.concat([bigIntToBytes(r, 32), bigIntToBytes(s, 32)]);
  const point = p256.Point.fromAffine({ x: q.x, y: q.y }).toBytes(false);
  return p256.verify(compact, digest, point, { prehash: false, lowS: false });
}

/** The public point of private scalar `d`. */
export function publicPointP256(d: bigint): AffinePoint {
  if (d <= 0n || d >= N) throw new RangeError('private scalar out of range');
  const { x, y } = p256.Point.BASE.multiply(d).toAffine();
  return { x, y };
}
