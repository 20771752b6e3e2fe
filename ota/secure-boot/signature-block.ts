import { createHash } from 'node:crypto';
import { hex, type ImageProblem } from '../app-image/image-problem';
import {
  BLOCK_MAGIC,
  BLOCK_SIZE,
  CRC_OFFSET,
  CurveId,
  ECDSA_P256_KEY_DIGEST_RANGE,
  ECDSA_P384_KEY_DIGEST_RANGE,
  EcdsaP256BlockOffset,
  EcdsaShaVersion,
  MAX_BLOCKS,
  RSA_KEY_DIGEST_RANGE,
  VERSION_ECDSA,
  VERSION_RSA,
} from './constants';
import { crc32 } from './crc32';

/** The scheme a block's version (and, for ECDSA, curve id) names. */
export type SignatureScheme = 'RSA-3072' | 'ECDSA-P256' | 'ECDSA-P384' | 'ECDSA-P192' | 'unknown';

/** One Secure Boot V2 signature block, decoded (zero-copy: `raw` is a view into the input). */
export interface SignatureBlock {
  /** Position in the sector, 0..2. */
  readonly index: number;
  /** File offset of the block's first byte. */
  readonly offset: number;
  readonly version: number;
  readonly scheme: SignatureScheme;
  readonly crcStored: number;
  readonly crcComputed: number;
  readonly crcValid: boolean;
  /** The SHA-256 (SHA-384 for P-384) of the signed content, as the block stores it. */
  readonly imageDigest: Uint8Array;
  /**
   * SHA-256 of the block's key material (RSA: n, e, R, M'; ECDSA: curve id and point), lowercase
   * hex: the value `espsecure signature_info_v2` prints ("Public key digest for block N") and
   * the eFuse key digest.
   */
  readonly keyDigest: string;
  readonly raw: Uint8Array;
}

/**
 * Decodes the block at `raw` (1216 bytes), or returns undefined when no block is there (byte 0
 * is not the magic 0xE7: esp32-image.md "A block is present if byte 0 is 0xE7 and the CRC
 * matches"; a block with the magic and a bad CRC is returned with `crcValid` false so that it
 * can be reported).
 */
export function parseSignatureBlock(
  raw: Uint8Array,
  index: number,
  offset: number,
): SignatureBlock | undefined {
  if (raw.length < BLOCK_SIZE || raw[0] !== BLOCK_MAGIC) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const version = raw[1];
  const crcStored = view.getUint32(CRC_OFFSET, true);
  const crcComputed = crc32(raw.subarray(0, CRC_OFFSET));
  const scheme = schemeOf(raw);
  const [from, to] =
    scheme === 'RSA-3072'
      ? RSA_KEY_DIGEST_RANGE
      : scheme === 'ECDSA-P384'
        ? ECDSA_P384_KEY_DIGEST_RANGE
        : ECDSA_P256_KEY_DIGEST_RANGE;
  const digestLength = scheme === 'ECDSA-P384' ? 48 : 32;
  return {
    index,
    offset,
    version,
    scheme,
    crcStored,
    crcComputed,
    crcValid: crcStored === crcComputed,
    imageDigest: raw.subarray(4, 4 + digestLength),
    keyDigest: createHash('sha256').update(raw.subarray(from, to)).digest('hex'),
    raw: raw.subarray(0, BLOCK_SIZE),
  };
}

function schemeOf(raw: Uint8Array): SignatureScheme {
  if (raw[1] === VERSION_RSA) return 'RSA-3072';
  if (raw[1] !== VERSION_ECDSA) return 'unknown';
  if (raw[EcdsaP256BlockOffset.shaVersion] === EcdsaShaVersion.sha384) return 'ECDSA-P384';
  const curve = raw[EcdsaP256BlockOffset.curveId];
  if (curve === CurveId.p256) return 'ECDSA-P256';
  if (curve === CurveId.p192) return 'ECDSA-P192';
  return 'unknown';
}

/** What a signature sector holds. */
export interface SignatureSector {
  readonly offset: number;
  readonly blocks: readonly SignatureBlock[];
  readonly problems: readonly ImageProblem[];
}

/**
 * Reads the blocks of a 4096-byte signature sector that starts at file offset `offset`. Blocks
 * are read in order until one is absent (espsecure `signature_info_v2` stops at the first
 * absent block; the bootloader checks at most three). Problems: a block with a bad CRC or an
 * unknown version, a block whose stored digest is not `contentDigest` (the SHA-256 of everything
 * before the sector), and a sector without any block.
 */
export function parseSignatureSector(
  sector: Uint8Array,
  offset: number,
  contentDigest?: Uint8Array,
): SignatureSector {
  const blocks: SignatureBlock[] = [];
  const problems: ImageProblem[] = [];
  for (let index = 0; index < MAX_BLOCKS; index++) {
    const at = index * BLOCK_SIZE;
    const block = parseSignatureBlock(sector.subarray(at, at + BLOCK_SIZE), index, offset + at);
    if (!block) break;
    blocks.push(block);
    if (!block.crcValid) {
      problems.push({
        code: 'signature-bad-crc',
        offset: block.offset,
        message: `signature block ${index} has a bad CRC: stored ${hex(block.crcStored)}, computed ${hex(block.crcComputed)}`,
      });
    } else if (block.scheme === 'unknown') {
      problems.push({
        code: 'signature-bad-version',
        offset: block.offset + 1,
        message: `signature block ${index} has unknown version ${hex(block.version)} (expected 0x2 RSA or 0x3 ECDSA)`,
      });
    } else if (
      contentDigest &&
      block.imageDigest.length === contentDigest.length && // SHA-384 (P-384) blocks are not checked here
      !equalBytes(block.imageDigest, contentDigest)
    ) {
      problems.push({
        code: 'signature-digest-mismatch',
        offset: block.offset + 4,
        message: `signature block ${index} digest ${Buffer.from(block.imageDigest).toString('hex')} does not match the signed content's SHA-256 ${Buffer.from(contentDigest).toString('hex')}`,
      });
    }
  }
  if (blocks.length === 0) {
    problems.push({
      code: 'signature-sector-empty',
      offset,
      message: `the last 4 KB sector at ${hex(offset)} holds no signature block (byte 0 is ${hex(sector[0] ?? 0)}, expected magic 0xe7)`,
    });
  }
  return { offset, blocks, problems };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
