/**
 * RSASSA-PSS (RFC 8017 §8.1, EMSA-PSS §9.1) with SHA-256, MGF1-SHA-256 and a 32-byte salt over a
 * precomputed SHA-256 digest, as Secure Boot V2 uses it (esp32-image.md "RSA-PSS signature
 * (SHA-256, MGF1-SHA-256, salt 32)"; espsecure `padding.PSS(mgf=MGF1(SHA256), salt_length=32)`
 * with `Prehashed(SHA256)`). `node:crypto` only signs messages, not digests, so the encoding is
 * done here and the RSA operation by `privateEncrypt`/`publicDecrypt` without padding.
 *
 * The salt is derived from the key and the digest (HMAC), not drawn at random: RFC 8017 §9.1
 * allows any salt, and a deterministic one makes a release signed twice byte-identical.
 */
import {
  constants,
  createHash,
  createHmac,
  privateEncrypt,
  publicDecrypt,
  type KeyObject,
} from 'node:crypto';

const H_LEN = 32;
export const PSS_SALT_LENGTH = 32;

function mgf1(seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let done = 0, i = 0; done < length; i++) {
    counter.writeUInt32BE(i, 0);
    const block = createHash('sha256').update(seed).update(counter).digest();
    block.copy(out, done, 0, Math.min(H_LEN, length - done));
    done += H_LEN;
  }
  return out;
}

function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new TypeError('not an RSA key');
  return bits;
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) for `emBits` = modulus bits − 1. */
function encode(mHash: Uint8Array, salt: Uint8Array, emBits: number): Buffer {
  const emLen = Math.ceil(emBits / 8);
  const h = createHash('sha256').update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.alloc(emLen - H_LEN - 1);
  db[db.length - salt.length - 1] = 0x01;
  Buffer.from(salt).copy(db, db.length - salt.length);
  const mask = mgf1(h, db.length);
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

/**
 * Signs a SHA-256 digest with an RSA private key; returns the big-endian signature. `saltKey`
 * (from `pssSaltKey`) may be passed in to spare exporting the key on every call.
 */
export function signDigestRsaPss(
  privateKey: KeyObject,
  digest: Uint8Array,
  saltKey = pssSaltKey(privateKey),
): Buffer {
  const bits = modulusBits(privateKey);
  const salt = createHmac('sha256', saltKey).update(digest).digest().subarray(0, PSS_SALT_LENGTH);
  let em = encode(digest, salt, bits - 1);
  const k = Math.ceil(bits / 8);
  if (em.length < k) em = Buffer.concat([Buffer.alloc(k - em.length), em]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) of a big-endian signature over a SHA-256 digest. */
export function verifyDigestRsaPss(
  publicKey: KeyObject,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  const bits = modulusBits(publicKey);
  const k = Math.ceil(bits / 8);
  if (signature.length !== k || digest.length !== H_LEN) return false;
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
  const maskedDb = em.subarray(0, emLen - H_LEN - 1);
  const h = em.subarray(emLen - H_LEN - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0] & ~topMask) !== 0) return false;
  const mask = mgf1(h, maskedDb.length);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i] ^ mask[i];
  db[0] &= topMask;
  const psEnd = emLen - H_LEN - PSS_SALT_LENGTH - 2;
  for (let i = 0; i < psEnd; i++) if (db[i] !== 0) return false;
  if (db[psEnd] !== 0x01) return false;
  const salt = db.subarray(db.length - PSS_SALT_LENGTH);
  const h2 = createHash('sha256').update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return Buffer.compare(h, h2) === 0;
}
