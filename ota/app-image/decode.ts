/**
 * Field decoders and per-step checks shared by the buffer parser (`parse-app-image.ts`) and the
 * streaming parser (`app-image-parser.ts`), so that both say exactly the same thing about the
 * same bytes. Each function covers one named step: header, segment header, checksum, hash, app
 * descriptor, trailer.
 */
import { SECTOR_SIZE } from '../secure-boot/constants';
import type { AppDescriptor, BootloaderDescriptor, ImageHeader } from './app-image-info';
import {
  APP_DESC_FILE_OFFSET,
  APP_DESC_MAGIC,
  APP_DESC_SIZE,
  AppDescLength,
  AppDescOffset,
  BOOTLOADER_DESC_MAGIC,
  BOOTLOADER_DESC_SIZE,
  BootloaderDescOffset,
  CHECKSUM_ALIGN,
  FLASH_MODES,
  FLASH_SIZES,
  HEADER_SIZE,
  HeaderOffset,
  IMAGE_MAGIC,
  MAX_SEGMENTS,
  chipById,
  chipByName,
} from './constants';
import { hex, type ImageProblem } from './image-problem';

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Step 1: decodes the 24-byte `esp_image_header_t` (esp32-image.md table). */
export function decodeHeader(bytes: Uint8Array): ImageHeader {
  const v = view(bytes);
  const sizeFreq = bytes[HeaderOffset.spiSpeedSize];
  const chipId = v.getUint16(HeaderOffset.chipId, true);
  const chip = chipById(chipId);
  const drv = (i: number) => bytes[HeaderOffset.spiPinDrv + i];
  return {
    magic: bytes[HeaderOffset.magic],
    segmentCount: bytes[HeaderOffset.segmentCount],
    flashMode: FLASH_MODES[bytes[HeaderOffset.spiMode]] ?? null,
    flashModeRaw: bytes[HeaderOffset.spiMode],
    flashSize: FLASH_SIZES[sizeFreq >> 4] ?? null,
    flashFreq: chip?.flashFrequencies[sizeFreq & 0x0f] ?? null,
    flashSizeFreqRaw: sizeFreq,
    entryAddr: v.getUint32(HeaderOffset.entryAddr, true),
    wpPin: bytes[HeaderOffset.wpPin],
    // esptool `load_extended_header`: low nibble first (clk, q), (d, cs), (hd, wp)
    spiPinDrive: {
      clk: drv(0) & 0x0f,
      q: drv(0) >> 4,
      d: drv(1) & 0x0f,
      cs: drv(1) >> 4,
      hd: drv(2) & 0x0f,
      wp: drv(2) >> 4,
    },
    chipId,
    chip: chip?.name ?? null,
    minChipRev: bytes[HeaderOffset.minChipRev],
    minChipRevFull: v.getUint16(HeaderOffset.minChipRevFull, true),
    maxChipRevFull: v.getUint16(HeaderOffset.maxChipRevFull, true),
    hashAppended: bytes[HeaderOffset.hashAppended] === 1,
  };
}

/** Problems of a file too short for a header; undefined if the header is complete. */
export function headerTruncated(size: number): ImageProblem | undefined {
  if (size >= HEADER_SIZE) return undefined;
  return {
    code: 'truncated',
    offset: size,
    message: `file truncated: ${size} bytes, shorter than the ${HEADER_SIZE}-byte image header`,
  };
}

/** True when the header's magic is wrong: nothing after it can be trusted, parsing stops. */
export function badMagic(header: ImageHeader): ImageProblem | undefined {
  if (header.magic === IMAGE_MAGIC) return undefined;
  return {
    code: 'bad-magic',
    offset: HeaderOffset.magic,
    message: `bad magic ${hex(header.magic)} at 0x0 (expected 0xe9): not an ESP32 image`,
  };
}

/** Step 1 checks after the magic: hash flag, segment count, chip (known, and the target). */
export function headerProblems(
  header: ImageHeader,
  raw: Uint8Array,
  targetChip?: string,
): ImageProblem[] {
  const problems: ImageProblem[] = [];
  const flag = raw[HeaderOffset.hashAppended];
  if (flag > 1) {
    problems.push({
      code: 'bad-hash-appended-flag',
      offset: HeaderOffset.hashAppended,
      message: `hash_appended is ${hex(flag)} at 0x17 (expected 0 or 1)`,
    });
  }
  if (header.segmentCount > MAX_SEGMENTS) {
    problems.push({
      code: 'too-many-segments',
      offset: HeaderOffset.segmentCount,
      message: `too many segments: ${header.segmentCount} (at most ${MAX_SEGMENTS})`,
    });
  }
  if (header.chip === null) {
    problems.push({
      code: 'unknown-chip',
      offset: HeaderOffset.chipId,
      message: `unknown chip_id ${hex(header.chipId)} at 0xc`,
    });
  }
  if (targetChip !== undefined) {
    const target = chipByName(targetChip);
    if (!target || target.id !== header.chipId) {
      problems.push({
        code: 'wrong-chip',
        offset: HeaderOffset.chipId,
        message: `image is built for ${header.chip ?? `chip_id ${hex(header.chipId)}`}, target is ${target?.name ?? targetChip}`,
      });
    }
  }
  return problems;
}

/** Step 2: a segment header that the file cuts short. */
export function segmentHeaderTruncated(index: number, offset: number, size: number): ImageProblem {
  return {
    code: 'truncated',
    offset,
    message: `file truncated: segment ${index} header at ${hex(offset)} needs 8 bytes, ${size - offset} left`,
  };
}

/** Step 2: a segment whose declared length runs past the end of the file. */
export function segmentPastEnd(
  index: number,
  offset: number,
  length: number,
  remaining: number,
): ImageProblem {
  return {
    code: 'segment-past-end',
    offset,
    message: `segment ${index} length ${hex(length)} exceeds remaining ${remaining} bytes at ${hex(offset)}`,
  };
}

/**
 * XOR of every byte, folded into `seed` (esp32-image.md "Checksum"). Whole 32-bit words are
 * XORed first, then folded to a byte: XOR is associative, and this keeps the checksum far from
 * being the bottleneck next to SHA-256.
 */
export function xorChecksum(data: Uint8Array, seed: number): number {
  let acc = 0;
  let i = 0;
  const aligned = (4 - (data.byteOffset % 4)) % 4;
  for (; i < aligned && i < data.length; i++) acc ^= data[i];
  const words = Math.floor((data.length - i) / 4);
  if (words > 0) {
    // Int32Array, not Uint32Array: V8 keeps int32 values unboxed, words ≥ 2^31 would not be
    const w = new Int32Array(data.buffer, data.byteOffset + i, words);
    let a = 0;
    let b = 0;
    let j = 0;
    for (; j + 7 < words; j += 8) {
      a ^= w[j] ^ w[j + 1] ^ w[j + 2] ^ w[j + 3];
      b ^= w[j + 4] ^ w[j + 5] ^ w[j + 6] ^ w[j + 7];
    }
    for (; j < words; j++) a ^= w[j];
    const x = a ^ b;
    acc ^= (x ^ (x >>> 8) ^ (x >>> 16) ^ (x >>> 24)) & 0xff;
    i += words * 4;
  }
  for (; i < data.length; i++) acc ^= data[i];
  return (seed ^ acc) & 0xff;
}

/**
 * Step 3: file offset of the checksum byte when the segments end at `end`: zero padding to a
 * 16-byte boundary, checksum in its last byte (esptool `align_file_position(f, 16)` then one byte).
 */
export function checksumOffset(end: number): number {
  return end + (CHECKSUM_ALIGN - 1) - (end % CHECKSUM_ALIGN);
}

export function checksumTruncated(offset: number, size: number): ImageProblem {
  return {
    code: 'truncated',
    offset: size,
    message: `file truncated: ends at ${hex(size)} before the checksum byte at ${hex(offset)}`,
  };
}

export function checksumMismatch(offset: number, stored: number, computed: number): ImageProblem {
  return {
    code: 'checksum-mismatch',
    offset,
    message: `checksum mismatch at ${hex(offset)}: stored ${hex(stored)}, computed ${hex(computed)}`,
  };
}

/** Step 4: appended SHA-256. */
export function hashTruncated(offset: number, size: number): ImageProblem {
  return {
    code: 'truncated',
    offset: size,
    message: `file truncated: the appended SHA-256 at ${hex(offset)} needs 32 bytes, ${Math.max(0, size - offset)} left`,
  };
}

export function hashMismatch(offset: number, stored: string, computed: string): ImageProblem {
  return {
    code: 'hash-mismatch',
    offset,
    message: `appended SHA-256 mismatch at ${hex(offset)}: stored ${stored}, computed ${computed}`,
  };
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('latin1');
}

/**
 * Step 5: the `esp_app_desc_t` at file offset 0x20, given the first bytes of segment 0's data
 * (`bytes`, up to 256). Returns the descriptor, or the `not-an-application` problem.
 */
export function decodeAppDescriptor(
  bytes: Uint8Array,
  segmentCount: number,
): AppDescriptor | ImageProblem {
  const magic = bytes.length >= 4 ? view(bytes).getUint32(0, true) : undefined;
  if (segmentCount === 0 || magic !== APP_DESC_MAGIC) {
    return {
      code: 'not-an-application',
      offset: APP_DESC_FILE_OFFSET,
      message:
        magic === undefined
          ? 'not an application: no app descriptor (segment 0 is missing or shorter than 4 bytes)'
          : `not an application: no app descriptor magic 0xabcd5432 at 0x20 (found ${hex(magic)}); e.g. a bootloader`,
    };
  }
  if (bytes.length < APP_DESC_SIZE) {
    return {
      code: 'not-an-application',
      offset: APP_DESC_FILE_OFFSET,
      message: `not an application: segment 0 holds ${bytes.length} bytes, shorter than the 256-byte app descriptor`,
    };
  }
  const v = view(bytes);
  const str = (off: number, len: number) => cString(bytes.subarray(off, off + len));
  const rev = (off: number) => {
    const full = v.getUint16(off, true);
    return `${Math.floor(full / 100)}.${full % 100}`;
  };
  const mmu = bytes[AppDescOffset.mmuPageSize];
  return {
    secureVersion: v.getUint32(AppDescOffset.secureVersion, true),
    version: str(AppDescOffset.version, AppDescLength.version),
    projectName: str(AppDescOffset.projectName, AppDescLength.projectName),
    time: str(AppDescOffset.time, AppDescLength.time),
    date: str(AppDescOffset.date, AppDescLength.date),
    idfVersion: str(AppDescOffset.idfVersion, AppDescLength.idfVersion),
    elfSha256: Buffer.from(
      bytes.subarray(AppDescOffset.elfSha256, AppDescOffset.elfSha256 + 32),
    ).toString('hex'),
    minEfuseBlockRev: rev(AppDescOffset.minEfuseBlkRevFull),
    maxEfuseBlockRev: rev(AppDescOffset.maxEfuseBlkRevFull),
    // esptool `_parse_app_info`: 2**mmu_page_size bytes, unset when 0
    mmuPageSize: mmu === 0 ? null : 2 ** mmu,
  };
}

/**
 * Step 5b: the bootloader descriptor from the first 80 bytes of a DRAM segment (esptool
 * `_parse_bootloader_info`), or null when its magic byte is not 0x50.
 */
export function decodeBootloaderDescriptor(bytes: Uint8Array): BootloaderDescriptor | null {
  if (bytes.length < BOOTLOADER_DESC_SIZE || bytes[0] !== BOOTLOADER_DESC_MAGIC) return null;
  return {
    version: view(bytes).getUint32(BootloaderDescOffset.version, true),
    idfVersion: cString(
      bytes.subarray(BootloaderDescOffset.idfVersion, BootloaderDescOffset.idfVersion + 32),
    ),
    dateTime: cString(
      bytes.subarray(BootloaderDescOffset.dateTime, BootloaderDescOffset.dateTime + 24),
    ),
  };
}

/** esptool's rule for where a bootloader descriptor may be: see `AppImageInfo.bootloader`. */
export function isBootloaderDescCandidate(memoryTypes: readonly string[], length: number): boolean {
  return memoryTypes.includes('DRAM') && length >= BOOTLOADER_DESC_SIZE;
}

/** Step 6: where a signature sector must start for an image that ends at `imageEnd`. */
export function sectorStartFor(imageEnd: number): number {
  return Math.ceil(imageEnd / SECTOR_SIZE) * SECTOR_SIZE;
}

/**
 * Step 6: bytes after the image. They must be nothing, or 0xFF padding to the next 4 KB boundary
 * followed by exactly one 4096-byte signature sector (esp32-image.md "Image layout"; espsecure
 * `sign_data` pads with 0xFF and appends the sector). Returns the problem, or undefined when the
 * layout fits and the sector may be read.
 */
export function trailerLayoutProblem(imageEnd: number, size: number): ImageProblem | undefined {
  const sectorStart = sectorStartFor(imageEnd);
  if (size === sectorStart + SECTOR_SIZE) return undefined;
  return {
    code: 'trailing-bytes',
    offset: imageEnd,
    message:
      `${size - imageEnd} trailing bytes after the image end at ${hex(imageEnd)} are not a signature sector ` +
      `(expected 0xff padding to ${hex(sectorStart)} and one 4096-byte sector, ending at ${hex(sectorStart + SECTOR_SIZE)})`,
  };
}

/** Step 6: a non-0xFF byte in the padding before the signature sector. */
export function paddingNotFf(offset: number, value: number): ImageProblem {
  return {
    code: 'trailing-bytes',
    offset,
    message: `padding before the signature sector must be 0xff; byte at ${hex(offset)} is ${hex(value)}`,
  };
}
