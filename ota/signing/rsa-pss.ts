/**
 * RSASSA-PSS (RFC 8017 §8.1, EMSA-PSS §9.1) over a precomputed digest, with MGF1 over the same
 * hash and a salt as long as the hash. That is what Secure Boot V2 uses with SHA-256
 * (esp32-image.md "RSA-PSS signature (SHA-256, MGF1-SHA-256, salt 32)"; espsecure
 * `padding.PSS(mgf=MGF1(SHA256), salt_length=32)` with `Prehashed(SHA256)`) and what AWS KMS's
 * `RSASSA_PSS_SHA_256|384|512` use ("salt length equal to the hash length"). `node:crypto` only
 * signs messages, not digests, so the encoding is done here and the RSA operation by
 * `privateEncrypt`/`publicDecrypt` without padding. The local KMS signs through this module too.
 *
 * `signDigestRsaPss` derives the salt from the key and the digest (HMAC), not at random:
 * RFC 8017 §9.1 allows any salt, and a deterministic one makes a release signed twice
 * byte-identical. `signDigestRsaPssWithSalt` takes the salt from the caller (KMS: random).
 */
import {
  constants,
  createHash,
  createHmac,
  privateEncrypt,
  publicDecrypt,
  type KeyObject,
} from 'node:crypto';

/** Hashes RSASSA-PSS is used with here, and their output lengths in bytes. */
export type PssHash = 'sha256' | 'sha384' | 'sha512';
const HASH_LENGTH: Record<PssHash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Salt length of Secure Boot V2 signatures (= SHA-256 length). */
export const PSS_SALT_LENGTH = HASH_LENGTH.sha256;

/** MGF1 (RFC 8017 appendix B.2.1). */
function mgf1(seed: Uint8Array, length: number, hash: PssHash): Buffer {
  const hLen = HASH_LENGTH[hash];
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let done = 0, i = 0; done < length; i++) {
    counter.writeUInt32BE(i, 0);
    const block = createHash(hash).update(seed).update(counter).digest();
    block.copy(out, done, 0, Math.min(hLen, length - done));
    done += hLen;
  }
  return out;
}

function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new TypeError('not an RSA key');
  return bits;
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) for `emBits` = modulus bits − 1. */
function encode(mHash: Uint8Array, salt: Uint8Array, emBits: number, hash: PssHash): Buffer {
  const hLen = HASH_LENGTH[hash];
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + salt.length + 2) throw new RangeError('RSA modulus too small for PSS');
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.alloc(emLen - hLen - 1);
  db[db.length - salt.length - 1] = 0x01;
  Buffer.from(salt).copy(db, db.length - salt.length);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** The HMAC key the deterministic salt is derived with: a hash of the private key. */
export function pssSaltKey(privateKey: KeyObject): Buffer {
  return createHash('sha256')
    .update('esp32-fleet rsa-pss salt')
    .update(privateKey.export({ format: 'der', type: 'pkcs8' }))
    .digest();
}

/** Signs `digest` (made with `hash`) with the given salt; returns the big-endian signature. */
export function signDigestRsaPssWithSalt(
  privateKey: KeyObject,
  digest: Uint8Array,
  salt: Uint8Array,
  hash: PssHash = 'sha256',
): Buffer {
  if (digest.length !== HASH_LENGTH[hash]) {
    throw new RangeError(`${hash} digest must be ${HASH_LENGTH[hash]} bytes, got ${digest.length}`);
  }
  const bits = modulusBits(privateKey);
  let em = encode(digest, salt, bits - 1, hash);
  const k = Math.ceil(bits / 8);
  if (em.length < k) em = Buffer.concat([Buffer.alloc(k - em.length), em]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/**
 * Signs a SHA-256 digest with an RSA private key and a deterministic salt; returns the big-endian
 * signature. `saltKey` (from `pssSaltKey`) may be passed in to spare exporting the key each call.
 */
export function signDigestRsaPss(
  privateKey: KeyObject,
  digest: Uint8Array,
  saltKey = pssSaltKey(privateKey),
): Buffer {
  const salt = createHmac('sha256', saltKey).update(digest).digest().subarray(0, PSS_SALT_LENGTH);
  return signDigestRsaPssWithSalt(privateKey, digest, salt, 'sha256');
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) of a big-endian signature over a digest made with `hash`. */
export function verifyDigestRsaPss(
  publicKey: KeyObject,
  digest: Uint8Array,
  signature: Uint8Array,
  hash: PssHash = 'sha256',
): boolean {
  const hLen = HASH_LENGTH[hash];
  const bits = modulusBits(publicKey);
  const k = Math.ceil(bits / 8);
  if (signature.length !== k || digest.length !== hLen) return false;
  let m: Buffer;
  try {
    m = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false; // signature representative out of range (RFC 8017 §5.2.2)
  }
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = m.subarray(m.length - emLen);
  if (m.length > emLen && m.subarray(0, m.length - emLen).some(b => b !== 0)) return false;
  if (em[em.length - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0] & ~topMask) !== 0) return false;
  const mask = mgf1(h, maskedDb.length, hash);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i] ^ mask[i];
  db[0] &= topMask;
  const psEnd = emLen - hLen - hLen - 2;
  for (let i = 0; i < psEnd; i++) if (db[i] !== 0) return false;
  if (db[psEnd] !== 0x01) return false;
  const salt = db.subarray(db.length - hLen);
  const h2 = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return Buffer.compare(h, h2) === 0;
}
