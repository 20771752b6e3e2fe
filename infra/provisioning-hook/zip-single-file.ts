/**
 * Writes a ZIP archive holding one file, deflated, with a fixed timestamp, so the same bundle
 * always gives the same bytes (and the Lambda's `source_code_hash` changes only when the code
 * does). Format: PKWARE APPNOTE.TXT 6.3.x, sections 4.3.7 (local file header), 4.3.12 (central
 * directory header) and 4.3.16 (end of central directory record).
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** 1980-01-01 00:00:00, the earliest MS-DOS date a ZIP can hold. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const VERSION_NEEDED = 20; // 2.0: deflate
const METHOD_DEFLATE = 8;
/** "Made by" Unix (3) so the external attributes carry a regular file, mode 0644. */
const VERSION_MADE_BY = (3 << 8) | VERSION_NEEDED;
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;

export function zipSingleFile(name: string, content: Uint8Array): Buffer {
  const fileName = Buffer.from(name, 'utf8');
  if (fileName.length === 0 || fileName.length > 0xffff)
    throw new Error(`zip entry name must be 1-65535 bytes, got ${fileName.length}`);
  if (content.length > 0xfffffffe)
    throw new Error(`zip entry ${name} is ${content.length} bytes; ZIP64 is not supported`);
  const compressed = deflateRawSync(content, { level: 9 });
  const crc = crc32(content);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(VERSION_NEEDED, 4);
  local.writeUInt16LE(0, 6); // flags
  local.writeUInt16LE(METHOD_DEFLATE, 8);
  local.writeUInt16LE(DOS_TIME, 10);
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(0, 28); // extra field length

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(VERSION_MADE_BY, 4);
  central.writeUInt16LE(VERSION_NEEDED, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(METHOD_DEFLATE, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  // extra length, comment length, disk number start, internal attributes: all 0 (30..37)
  central.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  central.writeUInt32LE(0, 42); // offset of the local header

  const centralSize = central.length + fileName.length;
  const centralOffset = local.length + fileName.length + compressed.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8); // entries on this disk
  end.writeUInt16LE(1, 10); // entries in total
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);

  return Buffer.concat([local, fileName, compressed, central, fileName, end]);
}
