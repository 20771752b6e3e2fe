import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFixture, type FixtureName } from '../../../test/utils/fixtures';
import {
  AppImageParser,
  parseAppImage,
  parseAppImageStream,
  type AppImageInfo,
  type ImageProblemCode,
} from '..';
import { checksumOffset } from '../decode';

const IMAGES: FixtureName[] = [
  'esp32-app-template.bin',
  'esp_idf_blink_esp32s2.bin',
  'bootloader_esp32.bin',
  'bootloader_signed_v2_rsa.bin',
  'bootloader_multi_signed_v2_rsa.bin',
];

const codes = (info: AppImageInfo): ImageProblemCode[] => info.problems.map(p => p.code);

/** Feeds `bytes` to the streaming parser in chunks of the given sizes (cycled). */
function streamParse(bytes: Uint8Array, sizes: number[], targetChip?: string): AppImageInfo {
  const parser = new AppImageParser({ targetChip });
  let i = 0;
  for (let k = 0; i < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    parser.push(bytes.subarray(i, i + n));
    i += n;
  }
  return parser.finish();
}

/** Deterministic pseudo-random chunk sizes (no Math.random: a failure must be reproducible). */
function chunkSizes(seed: number, count: number, max: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % max) + 1;
  });
}

describe('parseAppImage on the fixtures (facts from shared/fixtures/esp32/README.md)', () => {
  it('reads esp32-app-template.bin exactly as esptool image_info does', () => {
    const info = parseAppImage(readFixture('esp32-app-template.bin'));
    expect(info.size).toBe(601_808);
    expect(info.header).toMatchObject({
      chipId: 0,
      chip: 'ESP32',
      entryAddr: 0x4008167c,
      segmentCount: 5,
      flashSize: '1MB',
      flashFreq: '40m',
      flashMode: 'QIO',
    });
    expect(info.segments.map(s => [s.length, s.loadAddr, s.fileOffset])).toEqual([
      [0x18c0c, 0x3f400020, 0x18],
      [0x02d8c, 0x3ffb0000, 0x18c2c],
      [0x04648, 0x40080000, 0x1b9c0],
      [0x67a90, 0x400d0018, 0x20010],
      [0x0b3f0, 0x40084648, 0x87aa8],
    ]);
    expect(info.segments.map(s => s.memoryTypes)).toEqual([
      ['DROM'],
      ['BYTE_ACCESSIBLE', 'DRAM'],
      ['IRAM'],
      ['IROM'],
      ['IRAM'],
    ]);
    expect(info.checksum).toMatchObject({ stored: 0x7c, computed: 0x7c, valid: true });
    expect(info.hash).toMatchObject({
      stored: 'dd3f0a322c19d184aefffad7ac35610fb63753a3f9e8d4c054a53a6348edc74f',
      computed: 'dd3f0a322c19d184aefffad7ac35610fb63753a3f9e8d4c054a53a6348edc74f',
      valid: true,
    });
    expect(info.app).toMatchObject({
      projectName: 'app-template',
      version: '1cd5752',
      date: 'Mar 18 2019',
      time: '10:47:33',
      idfVersion: 'v4.0-dev-30-g31ca6e399',
      secureVersion: 0,
      elfSha256: '0'.repeat(64),
    });
    expect(info.sha256).toBe('6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1');
    expect(info.signatureSector).toBeNull();
    expect(info.problems).toEqual([]);
  });

  it('reads esp_idf_blink_esp32s2.bin as an ESP32-S2 application', () => {
    const info = parseAppImage(readFixture('esp_idf_blink_esp32s2.bin'));
    expect(info.size).toBe(182_368);
    expect(info.header).toMatchObject({
      chipId: 2,
      chip: 'ESP32-S2',
      entryAddr: 0x40022f84,
      segmentCount: 6,
      flashSize: '2MB',
      flashFreq: '80m',
      flashMode: 'DIO',
    });
    expect(info.segments.map(s => [s.length, s.loadAddr, s.fileOffset])).toEqual([
      [0x08c18, 0x3f000020, 0x18],
      [0x0204c, 0x3ffbde90, 0x8c38],
      [0x05384, 0x40022000, 0xac8c],
      [0x15ce8, 0x40080020, 0x10018],
      [0x06b0c, 0x40027384, 0x25d08],
      [0x00010, 0x50000000, 0x2c81c],
    ]);
    expect(
      info.segments.map(s =>
        s.memoryTypes.includes(['DROM', 'DRAM', 'IRAM', 'IROM', 'IRAM', 'RTC_DATA'][s.index]),
      ),
    ).toEqual(Array(6).fill(true));
    expect(info.checksum).toMatchObject({ stored: 0x18, valid: true });
    expect(info.hash).toMatchObject({
      computed: '10f48f4a71a48cc4c917d70d13bf717b1bc7f3187b3d564b00192f7e381531b7',
      valid: true,
    });
    expect(info.app).toMatchObject({
      projectName: 'blink',
      version: 'qa-test-v5.0-20220830-4-g4532e6',
    });
    expect(info.sha256).toBe('a62c4d60cfab37953fd76124fa93ea5bafa3e2962fd75ad933b2a75b4d941d12');
    expect(info.problems).toEqual([]);
  });

  it('finds bootloader_esp32.bin valid but not an application', () => {
    const info = parseAppImage(readFixture('bootloader_esp32.bin'));
    expect(info.size).toBe(7_888);
    expect(info.header).toMatchObject({ segmentCount: 4, entryAddr: 0x4009816c, chip: 'ESP32' });
    expect(info.segments).toHaveLength(4);
    expect(info.checksum).toMatchObject({ stored: 0x83, valid: true });
    expect(info.app).toBeNull();
    expect(info.problems).toEqual([
      expect.objectContaining({ code: 'not-an-application', offset: 0x20 }),
    ]);
    expect(info.problems[0].message).toMatch(/not an application/);
  });

  it('reads a bootloader descriptor where esptool looks for one (last DRAM segment, magic 0x50)', () => {
    expect(parseAppImage(readFixture('bootloader_esp32.bin')).bootloader).toBeNull(); // made before ESP-IDF 5.2
    const bytes = readFixture('bootloader_esp32.bin');
    const desc = 0x20 + 8; // data of segment 1 (DRAM, 0xb3c bytes; segment 0 is empty)
    bytes.fill(0, desc, desc + 80);
    bytes[desc] = 0x50;
    bytes.writeUInt32LE(7, desc + 4);
    bytes.write('v5.3.1', desc + 8, 'latin1');
    bytes.write('Nov 23 2026 01:02:03', desc + 40, 'latin1');
    const info = parseAppImage(bytes);
    expect(info.bootloader).toEqual({
      version: 7,
      idfVersion: 'v5.3.1',
      dateTime: 'Nov 23 2026 01:02:03',
    });
    expect(streamParse(bytes, [5, 77])).toEqual(info);
  });

  it('reads the signature blocks and key digests of the signed bootloaders', () => {
    const single = parseAppImage(readFixture('bootloader_signed_v2_rsa.bin'));
    expect(single.signatureSector?.offset).toBe(0x8000);
    expect(single.signatureSector?.blocks.map(b => [b.index, b.scheme, b.crcValid])).toEqual([
      [0, 'RSA-3072', true],
    ]);
    expect(codes(single)).toEqual(['not-an-application']);

    const multi = parseAppImage(readFixture('bootloader_multi_signed_v2_rsa.bin'));
    expect(multi.signatureSector?.blocks.map(b => b.keyDigest)).toEqual([
      'cb2791a371b0c0322bf7370478ba0962224cab1cf2287879e429673e7da84463',
      '901a7409238d52d4cbf96f563fb3f4296dabd66a33f53b15eecd8cb3e7ec45d3',
      '27919392d68bab79286a26759143a5b1d599efcebd754e5703b5dd23b5e3dd3b',
    ]);
    // the signed content is everything before the sector (esp32-image.md)
    const bytes = readFixture('bootloader_multi_signed_v2_rsa.bin');
    expect(multi.signatureSector?.contentSha256).toBe(
      createHash('sha256').update(bytes.subarray(0, 0x8000)).digest('hex'),
    );
    expect(codes(multi)).toEqual(['not-an-application']);
  });
});

describe('streaming parser', () => {
  it.each(IMAGES)('gives the buffer parser result for %s, whatever the chunking', async name => {
    const bytes = readFixture(name);
    const expected = parseAppImage(bytes);
    expect(streamParse(bytes, [bytes.length])).toEqual(expected);
    expect(streamParse(bytes, [1])).toEqual(expected);
    expect(streamParse(bytes, [7, 24, 8, 4096, 3])).toEqual(expected);
    for (let seed = 1; seed <= 20; seed++) {
      expect(streamParse(bytes, chunkSizes(seed, 64, seed % 2 ? 97 : 20_000))).toEqual(expected);
    }
    expect(await parseAppImageStream([bytes.subarray(0, 100), bytes.subarray(100)])).toEqual(
      expected,
    );
  });

  it('does not keep the image: its memory stays flat on a 16 MB stream', () => {
    // Segment data is not stored; only fixed buffers. Push 16 MB of a declared 16 MB segment.
    const header = readFixture('esp32-app-template.bin').subarray(0, 0x18);
    const seg = Buffer.alloc(8);
    seg.writeUInt32LE(0x3f400020, 0);
    seg.writeUInt32LE(16 * 1024 * 1024, 4);
    const parser = new AppImageParser();
    parser.push(header);
    parser.push(seg);
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 16; i++) parser.push(chunk);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    expect(parser.finish().segments).toHaveLength(1);
  });
});

describe('validation of damaged copies', () => {
  const app = () => readFixture('esp32-app-template.bin');
  const both = (bytes: Uint8Array, targetChip?: string) => {
    const info = parseAppImage(bytes, { targetChip });
    expect(streamParse(bytes, [333], targetChip)).toEqual(info);
    return info;
  };

  it('reports a bad magic at offset 0 and stops', () => {
    const bytes = app();
    bytes[0] = 0xe8;
    const info = both(bytes);
    expect(info.problems).toEqual([expect.objectContaining({ code: 'bad-magic', offset: 0 })]);
    expect(info.header).toBeNull();
  });

  it('reports a file shorter than the header as truncated', () => {
    const info = both(app().subarray(0, 10));
    expect(info.problems).toEqual([expect.objectContaining({ code: 'truncated', offset: 10 })]);
  });

  it('reports too many segments', () => {
    const bytes = app();
    bytes[1] = 17;
    expect(codes(both(bytes))).toContain('too-many-segments');
  });

  it('reports a segment running past the end, with its header offset', () => {
    const bytes = app();
    bytes.writeUInt32LE(0x10_0000, 0x18c2c + 4); // segment 1 declares 1 MB
    const info = both(bytes);
    const problem = info.problems.find(p => p.code === 'segment-past-end');
    expect(problem).toMatchObject({ offset: 0x18c2c });
    expect(problem?.message).toMatch(/segment 1 length 0x100000 exceeds remaining/);
  });

  it('reports a truncated file at each place it can be cut', () => {
    const full = app();
    for (const cut of [0x18 + 4, 0x20 + 100, 0x87aa8 + 8 + 0xb3f0, 601_808 - 20]) {
      const info = both(full.subarray(0, cut));
      expect(codes(info).some(c => c === 'truncated' || c === 'segment-past-end')).toBe(true);
      expect(info.imageEnd).toBeNull();
    }
  });

  it('reports an application cut inside segment 0 as truncated, still with its descriptor', () => {
    const info = both(app().subarray(0, 1000));
    expect(codes(info)).toEqual(['segment-past-end']);
    expect(info.app).toMatchObject({ projectName: 'app-template', version: '1cd5752' });
  });

  it('reports a checksum mismatch at the checksum byte', () => {
    const bytes = app();
    bytes[0x30_000] ^= 0x01; // a data byte of segment 3
    const info = both(bytes);
    const at = checksumOffset(0x87aa8 + 8 + 0xb3f0);
    expect(info.problems).toContainEqual(
      expect.objectContaining({ code: 'checksum-mismatch', offset: at }),
    );
    expect(codes(info)).toContain('hash-mismatch'); // the appended SHA-256 covers the data too
  });

  it('reports a hash mismatch when only the stored hash changed', () => {
    const bytes = app();
    bytes[601_808 - 1] ^= 0xff;
    const info = both(bytes);
    expect(info.problems).toEqual([
      expect.objectContaining({ code: 'hash-mismatch', offset: 601_776 }),
    ]);
  });

  it('reports a chip that is not the target', () => {
    const info = both(app(), 'esp32s3');
    expect(info.problems).toEqual([expect.objectContaining({ code: 'wrong-chip', offset: 12 })]);
    expect(info.problems[0].message).toBe('image is built for ESP32, target is ESP32-S3');
    expect(both(app(), 'ESP32').problems).toEqual([]);
  });

  it('reports an unknown chip id', () => {
    const bytes = app();
    bytes.writeUInt16LE(0x7777, 12);
    expect(codes(both(bytes))).toEqual(['unknown-chip', 'hash-mismatch']); // the header is hashed too
  });

  it('reports trailing bytes that are not a signature sector', () => {
    const info = both(Buffer.concat([app(), Buffer.from('trailing junk')]));
    expect(info.problems).toEqual([
      expect.objectContaining({ code: 'trailing-bytes', offset: 601_808 }),
    ]);
  });

  it('reports non-0xFF padding before a signature sector and a sector without blocks', () => {
    const bytes = readFixture('bootloader_signed_v2_rsa.bin');
    bytes[0x7f00] = 0x00;
    bytes.fill(0xff, 0x8000);
    const info = both(bytes);
    expect(codes(info)).toEqual(['not-an-application', 'trailing-bytes', 'signature-sector-empty']);
    expect(info.problems[1].offset).toBe(0x7f00);
  });

  it('reports a signature block with a bad CRC, at the block', () => {
    const bytes = readFixture('bootloader_multi_signed_v2_rsa.bin');
    bytes[0x8000 + 1216 + 500] ^= 0x10; // inside block 1's key material
    const info = both(bytes);
    expect(info.problems).toContainEqual(
      expect.objectContaining({ code: 'signature-bad-crc', offset: 0x8000 + 1216 }),
    );
    expect(info.signatureSector?.blocks.map(b => b.crcValid)).toEqual([true, false, true]);
  });

  it('reports a signed image whose content changed after signing', () => {
    const bytes = readFixture('bootloader_signed_v2_rsa.bin');
    bytes[0x7ffe] = 0xfe; // padding byte inside the signed content
    const info = both(bytes);
    expect(codes(info)).toContain('signature-digest-mismatch');
  });
});
