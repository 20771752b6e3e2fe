/**
 * ECDSA on NIST P-256 over a precomputed SHA-256 digest, with deterministic nonces (RFC 6979).
 *
 * Why not `node:crypto` alone: it hashes the message itself and has no way to sign or verify a
 * digest that was computed elsewhere. Our release pipeline hashes each byte once and needs
 * ECDSA over that digest (the detached `sig-sha256-ecdsa` signature, Secure Boot V2 version 3
 * blocks), as KMS does with `MessageType: DIGEST`. Deterministic nonces also make a release
 * signed twice with the same local key byte-identical (content-addressed storage stays
 * idempotent). Every signature is checked against `node:crypto`'s verifier in the tests.
 *
 * Scalar multiplications run in OpenSSL through `createECDH('prime256v1')` (k·G is the public key
 * of private key k; `computeSecret` gives the x of k·Q), the rest (two point additions, s) in
 * BigInt; the pure BigInt ladder below is kept as the reference and the fallback. Not
 * constant-time: meant for local development keys; production keys stay in KMS, which signs
 * digests itself.
 *
 * Curve parameters: SEC 2 v2 §2.4.2 (secp256r1) / FIPS 186-4 D.1.2.3. Nonce: RFC 6979 §3.2.
 */
import { createECDH, createHmac } from 'node:crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

/** An affine point; `undefined` is the point at infinity. */
export interface AffinePoint {
  readonly x: bigint;
  readonly y: bigint;
}
type Jacobian = readonly [bigint, bigint, bigint];

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Inverse modulo m (extended Euclid; several times faster than Fermat's a^(m−2) in BigInt). */
function invMod(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return mod(s0, m);
}

// Jacobian doubling and addition for a = -3 (dbl-2001-b, add-2007-bl shapes from the EFD).
function double([x, y, z]: Jacobian): Jacobian {
  if (y === 0n || z === 0n) return [0n, 1n, 0n];
  const delta = (z * z) % P;
  const gamma = (y * y) % P;
  const beta = (x * gamma) % P;
  const alpha = (3n * mod(x - delta, P) * ((x + delta) % P)) % P;
  const x3 = mod(alpha * alpha - 8n * beta, P);
  const z3 = mod((y + z) * (y + z) - gamma - delta, P);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * ((gamma * gamma) % P), P);
  return [x3, y3, z3];
}

function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const [x1, y1, z1] = p;
  const [x2, y2, z2] = q;
  const z1z1 = (z1 * z1) % P;
  const z2z2 = (z2 * z2) % P;
  const u1 = (x1 * z2z2) % P;
  const u2 = (x2 * z1z1) % P;
  const s1 = (((y1 * z2) % P) * z2z2) % P;
  const s2 = (((y2 * z1) % P) * z1z1) % P;
  if (u1 === u2) return s1 === s2 ? double(p) : [0n, 1n, 0n];
  const h = mod(u2 - u1, P);
  const i = (4n * h * h) % P;
  const j = (h * i) % P;
  const r = mod(2n * (s2 - s1), P);
  const v = (u1 * i) % P;
  const x3 = mod(r * r - j - 2n * v, P);
  const y3 = mod(r * (v - x3) - 2n * ((s1 * j) % P), P);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h, P);
  return [x3, y3, z3];
}

function multiply(k: bigint, point: AffinePoint): Jacobian {
  let result: Jacobian = [0n, 1n, 0n];
  let addend: Jacobian = [point.x, point.y, 1n];
  let e = k;
  while (e > 0n) {
    if (e & 1n) result = add(result, addend);
    addend = double(addend);
    e >>= 1n;
  }
  return result;
}

function toAffine([x, y, z]: Jacobian): AffinePoint | undefined {
  if (z === 0n) return undefined;
  const zi = invMod(z, P);
  const zi2 = (zi * zi) % P;
  return { x: (x * zi2) % P, y: (((y * zi2) % P) * zi) % P };
}

/** k·G through OpenSSL (0 < k < n). */
function multiplyG(k: bigint): AffinePoint | undefined {
  if (k <= 0n || k >= N) return toAffine(multiply(mod(k, N), { x: GX, y: GY }));
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(bigIntToBytes(k, 32));
  const pub = ecdh.getPublicKey(); // 0x04 ‖ X ‖ Y (SEC 1 §2.3.3)
  return { x: bytesToBigInt(pub.subarray(1, 33)), y: bytesToBigInt(pub.subarray(33, 65)) };
}

/** x of k·Q through OpenSSL ECDH, which also rejects a Q off the curve (throws). */
function multiplyX(k: bigint, q: AffinePoint): bigint {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(bigIntToBytes(k, 32));
  return bytesToBigInt(
    ecdh.computeSecret(
      Buffer.concat([Buffer.from([4]), bigIntToBytes(q.x, 32), bigIntToBytes(q.y, 32)]),
    ),
  );
}

/**
 * k·Q as a full point: OpenSSL gives x(k·Q) and x((k+1)·Q); y of k·Q is one of the two square
 * roots of x³ − 3x + b (p ≡ 3 mod 4, so a root is rhs^((p+1)/4)), the one for which k·Q + Q has
 * the second x. Falls back to the BigInt ladder at the edges (k + 1 = n).
 */
function multiplyPoint(k: bigint, q: AffinePoint): AffinePoint | undefined {
  if (k <= 0n || k + 1n >= N) return toAffine(multiply(mod(k, N), q));
  const x1 = multiplyX(k, q);
  const x2 = multiplyX(k + 1n, q);
  const rhs = mod(x1 * x1 * x1 - 3n * x1 + B, P);
  const y = powMod(rhs, (P + 1n) / 4n, P);
  if ((y * y) % P !== rhs) return undefined;
  for (const candidate of [y, P - y]) {
    const next = toAffine(add([x1, candidate, 1n], [q.x, q.y, 1n]));
    if (next && next.x === x2) return { x: x1, y: candidate };
  }
  return undefined;
}

/** True if `q` is a point of P-256 (not infinity). */
export function isOnCurve(q: AffinePoint): boolean {
  if (q.x < 0n || q.x >= P || q.y < 0n || q.y >= P) return false;
  return mod(q.y * q.y - (q.x * q.x * q.x - 3n * q.x + B), P) === 0n;
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

/** RFC 6979 §3.2 nonce for P-256 / HMAC-SHA-256 (qlen = hlen = 256, so bits2int is plain). */
function rfc6979Nonce(d: bigint, digest: Uint8Array): bigint {
  const x = bigIntToBytes(d, 32);
  const h = bigIntToBytes(mod(bytesToBigInt(digest), N), 32);
  let k = Buffer.alloc(32, 0);
  let v = Buffer.alloc(32, 1);
  const hmac = (key: Buffer, ...parts: Buffer[]) => {
    const m = createHmac('sha256', key);
    for (const part of parts) m.update(part);
    return m.digest();
  };
  k = hmac(k, v, Buffer.from([0]), x, h);
  v = hmac(k, v);
  k = hmac(k, v, Buffer.from([1]), x, h);
  v = hmac(k, v);
  for (;;) {
    v = hmac(k, v);
    const candidate = bytesToBigInt(v);
    if (candidate >= 1n && candidate < N) return candidate;
    k = hmac(k, v, Buffer.from([0]));
    v = hmac(k, v);
  }
}

/** An ECDSA signature as its two integers. */
export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/**
 * Signs a 32-byte SHA-256 digest with private scalar `d` (FIPS 186-4 §6.4, nonce per RFC 6979).
 */
export function signDigestP256(d: bigint, digest: Uint8Array): EcdsaSignature {
  if (digest.length !== 32) throw new RangeError(`digest must be 32 bytes, got ${digest.length}`);
  if (d <= 0n || d >= N) throw new RangeError('private scalar out of range');
  const z = bytesToBigInt(digest);
  const k = rfc6979Nonce(d, digest);
  const point = multiplyG(k);
  const r = point ? point.x % N : 0n;
  const s = mod(invMod(k, N) * (z + r * d), N);
  // r or s of zero happens with probability ~2^-256; RFC 6979 would loop, we refuse loudly.
  if (r === 0n || s === 0n) throw new Error('degenerate ECDSA signature');
  return { r, s };
}

/** Verifies an ECDSA signature over a 32-byte digest with public point `q` (FIPS 186-4 §6.4.2). */
export function verifyDigestP256(
  q: AffinePoint,
  digest: Uint8Array,
  { r, s }: EcdsaSignature,
): boolean {
  if (digest.length !== 32 || !isOnCurve(q)) return false;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const w = invMod(s, N);
  const u1 = (bytesToBigInt(digest) * w) % N;
  const u2 = (r * w) % N;
  let a: AffinePoint | undefined;
  let b: AffinePoint | undefined;
  try {
    a = multiplyG(u1);
    b = multiplyPoint(u2, q);
  } catch {
    return false; // OpenSSL refused the point
  }
  const sum = a && b ? toAffine(add([a.x, a.y, 1n], [b.x, b.y, 1n])) : (a ?? b);
  return sum !== undefined && sum.x % N === r;
}

/** The public point of private scalar `d`. */
export function publicPointP256(d: bigint): AffinePoint {
  const point = toAffine(multiply(d, { x: GX, y: GY })); // the BigInt reference ladder
  if (!point) throw new RangeError('private scalar out of range');
  return point;
}
