import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (zlib / IEEE 802.3), as the signature block stores it ([doc] esp32-image.md "CRC32
 * (zlib/IEEE) of bytes 0..1195"; espsecure `zlib.crc32(sig_blk[:1196])`). `node:zlib` `crc32`
 * exists since Node 20.15; it is a pure computation, no I/O.
 */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0;
}
