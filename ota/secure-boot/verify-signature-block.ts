import type { KeyObject } from 'node:crypto';
import type { AppImageInfo } from '../app-image/app-image-info';
import { bytesToBigInt, verifyDigestP256 } from '../signing/ecdsa-p256';
import { algorithmOf } from '../signing/key-algorithm';
import { verifyDigestRsaPss } from '../signing/rsa-pss';
import { EcdsaP256BlockOffset, P256_BYTES, RSA_BYTES, RsaBlockOffset } from './constants';
import { keyDigestOf } from './encode-signature-block';
import type { SignatureBlock } from './signature-block';

/** The outcome of checking one block against one public key. */
export interface BlockVerification {
  readonly index: number;
  readonly offset: number;
  readonly scheme: SignatureBlock['scheme'];
  readonly keyDigest: string;
  readonly verified: boolean;
  /** Why not (or `verified`), in plain words. */
  readonly reason: string;
}

function leInt(bytes: Uint8Array): bigint {
  return bytesToBigInt(Buffer.from(bytes).reverse());
}

/**
 * Checks one block as the bootloader would, against `publicKey`: CRC, the block's digest equals
 * `contentDigest` (SHA-256 of everything before the sector), the block carries this key (its key
 * digest), and the signature verifies (RSA-PSS SHA-256/MGF1/salt 32, or ECDSA P-256 over the
 * digest, r and s little-endian: espsecure `verify_signature_v2`).
 */
export function verifySignatureBlock(
  block: SignatureBlock,
  contentDigest: Uint8Array,
  publicKey: KeyObject,
): BlockVerification {
  const result = (verified: boolean, reason: string): BlockVerification => ({
    index: block.index,
    offset: block.offset,
    scheme: block.scheme,
    keyDigest: block.keyDigest,
    verified,
    reason,
  });
  if (!block.crcValid) return result(false, 'bad CRC');
  if (Buffer.compare(Buffer.from(block.imageDigest), Buffer.from(contentDigest)) !== 0) {
    return result(false, 'block digest does not match the signed content');
  }
  const algorithm = algorithmOf(publicKey, 'publicKey');
  const expectedScheme = algorithm === 'RSA-PSS-3072' ? 'RSA-3072' : 'ECDSA-P256';
  if (block.scheme !== expectedScheme)
    return result(false, `block is ${block.scheme}, the key is ${expectedScheme}`);
  if (block.keyDigest !== keyDigestOf(publicKey))
    return result(false, 'block is signed with a different key');
  const raw = block.raw;
  if (algorithm === 'RSA-PSS-3072') {
    const signature = Buffer.from(
      raw.subarray(RsaBlockOffset.signature, RsaBlockOffset.signature + RSA_BYTES),
    ).reverse();
    const ok = verifyDigestRsaPss(publicKey, contentDigest, signature);
    return result(ok, ok ? 'verified' : 'RSA-PSS signature does not verify');
  }
  const jwk = publicKey.export({ format: 'jwk' });
  const point = {
    x: bytesToBigInt(Buffer.from(jwk.x ?? '', 'base64url')),
    y: bytesToBigInt(Buffer.from(jwk.y ?? '', 'base64url')),
  };
  const at = EcdsaP256BlockOffset.signature;
  const r = leInt(raw.subarray(at, at + P256_BYTES));
  const s = leInt(raw.subarray(at + P256_BYTES, at + 2 * P256_BYTES));
  const ok = verifyDigestP256(point, contentDigest, { r, s });
  return result(ok, ok ? 'verified' : 'ECDSA signature does not verify');
}

/** The result of `verifyImageSignature`. */
export interface ImageVerification {
  /** True iff at least one block verifies with the key. */
  readonly verified: boolean;
  /** The key digest of the given public key (what its eFuse entry would hold). */
  readonly keyDigest: string;
  readonly blocks: readonly BlockVerification[];
}

/** Checks every signature block of a parsed image against `publicKey`. */
export function verifyImageSignature(info: AppImageInfo, publicKey: KeyObject): ImageVerification {
  const keyDigest = keyDigestOf(publicKey);
  const sector = info.signatureSector;
  if (!sector) return { verified: false, keyDigest, blocks: [] };
  const digest = Buffer.from(sector.contentSha256, 'hex');
  const blocks = sector.blocks.map(block => verifySignatureBlock(block, digest, publicKey));
  return { verified: blocks.some(b => b.verified), keyDigest, blocks };
}
