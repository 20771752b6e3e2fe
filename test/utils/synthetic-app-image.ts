/**
 * A valid ESP32 application image of any size, for tests and benchmarks that need more bytes than
 * the fixtures have: the header and segment 0 (with the app descriptor) of
 * `esp32-app-template.bin`, then flash-mapped (IROM) segments of pseudo-random bytes, then the
 * XOR checksum and the appended SHA-256, so that `ota/`'s parser validates it fully
 * (`../shared/docs/esp32-image.md`, "esp_image_header_t", "segments", "checksum", "hash").
 */
import { createHash } from 'node:crypto';
import { readFixture } from './fixtures';

const HEADER = 24;
const SEGMENT_HEADER = 8;
const CHECKSUM_SEED = 0xef;
/** Flash-mapped instruction space of the ESP32 (IROM, 0x400D0000–0x40400000), in 1 MB steps. */
const IROM_BASE = 0x400d0018;

export function syntheticAppImage(size: number, seed = 1): Buffer {
  const fixture = readFixture('esp32-app-template.bin');
  const seg0Length = fixture.readUInt32LE(HEADER + 4);
  const parts: Buffer[] = [
    Buffer.from(fixture.subarray(0, HEADER)),
    fixture.subarray(HEADER, HEADER + SEGMENT_HEADER + seg0Length),
  ];
  let used = HEADER + SEGMENT_HEADER + seg0Length + 16 + 32;
  let count = 1;
  let state = (0x9e3779b9 ^ seed) | 0;
  let checksum = CHECKSUM_SEED;
  for (let i = HEADER + SEGMENT_HEADER; i < HEADER + SEGMENT_HEADER + seg0Length; i++)
    checksum ^= fixture[i];
  while (used + SEGMENT_HEADER + 4 < size) {
    const length = Math.min(0x100000 - 0x20, (size - used - SEGMENT_HEADER) & ~3);
    const data = Buffer.alloc(length);
    for (let i = 0; i < length; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      data.writeInt32LE(state | 0, i);
    }
    for (const b of data) checksum ^= b;
    const head = Buffer.alloc(SEGMENT_HEADER);
    head.writeUInt32LE(IROM_BASE + (count - 1) * 0x100000, 0);
    head.writeUInt32LE(length, 4);
    parts.push(head, data);
    used += SEGMENT_HEADER + length;
    count += 1;
  }
  const body = Buffer.concat(parts);
  body[1] = count;
  // Pad with zeros so that the checksum byte is the last of a 16-byte block.
  const padded = Buffer.alloc((Math.floor(body.length / 16) + 1) * 16);
  body.copy(padded);
  padded[padded.length - 1] = checksum;
  return Buffer.concat([padded, createHash('sha256').update(padded).digest()]);
}
