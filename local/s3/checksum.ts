/**
 * The additional checksums S3 accepts on uploads (`x-amz-checksum-<algorithm>`, base64 of the
 * big-endian value), computed incrementally while the body streams to disk. The AWS SDK for
 * JavaScript v3 sends CRC32 by default (`requestChecksumCalculation: WHEN_SUPPORTED`).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** S3's names for the checksum algorithms, as in `x-amz-checksum-<lower-case name>`. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** A running checksum. */
export interface Checksum {
  update(data: Uint8Array): void;
  /** Base64 of the final value, as S3 writes it in headers and XML. */
  digestBase64(): string;
}

/** Castagnoli polynomial, reflected (RFC 3720 appendix B.4). */
const CRC32C_TABLE = makeTable32(0x82f63b78);
/** CRC-64/NVME polynomial, reflected (NVM Express NVM Command Set spec, section 5.2.1.3.4). */
const CRC64NVME_POLY = 0x9a6c9329ac4bc9b5n;
let crc64Table: BigUint64Array | undefined;

function makeTable32(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function makeTable64(): BigUint64Array {
  const table = new BigUint64Array(256);
  for (let n = 0n; n < 256n; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64NVME_POLY : c >> 1n;
    table[Number(n)] = c;
  }
  return table;
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

class Crc32 implements Checksum {
  private value = 0;
  update(data: Uint8Array): void {
    this.value = crc32(data, this.value);
  }
  digestBase64(): string {
    return uint32Base64(this.value);
  }
}

class Crc32c implements Checksum {
  private value = 0xffffffff;
  update(data: Uint8Array): void {
    let c = this.value;
    for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
    this.value = c >>> 0;
  }
  digestBase64(): string {
    return uint32Base64(~this.value >>> 0);
  }
}

/** Table-driven with BigInt: slow (a few MB/s) but correct; the SDK only uses it when asked. */
class Crc64Nvme implements Checksum {
  private value = 0xffffffffffffffffn;
  update(data: Uint8Array): void {
    const table = (crc64Table ??= makeTable64());
    let c = this.value;
    for (let i = 0; i < data.length; i++)
      c = table[Number((c ^ BigInt(data[i])) & 0xffn)] ^ (c >> 8n);
    this.value = c;
  }
  digestBase64(): string {
    const out = Buffer.alloc(8);
    out.writeBigUInt64BE(~this.value & 0xffffffffffffffffn);
    return out.toString('base64');
  }
}

class HashChecksum implements Checksum {
  private readonly hash: Hash;
  constructor(algorithm: 'sha1' | 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digestBase64(): string {
    return this.hash.digest('base64');
  }
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new HashChecksum('sha1');
    case 'SHA256':
      return new HashChecksum('sha256');
  }
}

/** `x-amz-checksum-crc32` → `CRC32`; undefined for any other header name. */
export function checksumAlgorithmOfHeader(header: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-([a-z0-9]+)$/.exec(header.toLowerCase());
  if (!m) return undefined;
  return CHECKSUM_ALGORITHMS.find(a => a.toLowerCase() === m[1]);
}

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}
