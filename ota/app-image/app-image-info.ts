import type { SignatureBlock } from '../secure-boot/signature-block';
import type { ImageProblem } from './image-problem';

/**
 * `esp_image_header_t`, decoded: every field esptool `image_info` prints in its "Image Header"
 * and "Extended Image Header" sections (esp32-image.md table "esp_image_header_t").
 */
export interface ImageHeader {
  readonly magic: number;
  /** `segment_count` as stored (may exceed 16 in a broken image: see `problems`). */
  readonly segmentCount: number;
  /** `QIO`, `QOUT`, `DIO`, `DOUT`, `FAST_READ`, `SLOW_READ`, or null for an unknown value. */
  readonly flashMode: string | null;
  readonly flashModeRaw: number;
  /** `1MB` … `128MB`, or null for an unknown value. */
  readonly flashSize: string | null;
  /** e.g. `40m`, `80m` (chip-specific table), or null for an unknown value or chip. */
  readonly flashFreq: string | null;
  /** The raw byte 3: low nibble frequency, high nibble size. */
  readonly flashSizeFreqRaw: number;
  readonly entryAddr: number;
  readonly wpPin: number;
  /** SPI pin drive strengths, two nibbles per byte as esptool splits them. */
  readonly spiPinDrive: {
    readonly clk: number;
    readonly q: number;
    readonly d: number;
    readonly cs: number;
    readonly hd: number;
    readonly wp: number;
  };
  readonly chipId: number;
  /** esptool's `CHIP_NAME` (`ESP32`, `ESP32-S2`, …), or null for an unknown id. */
  readonly chip: string | null;
  /** Legacy `min_chip_rev`. */
  readonly minChipRev: number;
  /** `min_chip_rev_full`: major·100 + minor. */
  readonly minChipRevFull: number;
  readonly maxChipRevFull: number;
  readonly hashAppended: boolean;
}

/** One segment, as esptool `image_info` lists it. */
export interface ImageSegment {
  readonly index: number;
  readonly loadAddr: number;
  readonly length: number;
  /** File offset of the segment's 8-byte header (esptool's "File offs" column). */
  readonly fileOffset: number;
  /** File offset of the segment's data (`fileOffset + 8`). */
  readonly dataOffset: number;
  /** esptool's "Memory types" for the load address on this chip, e.g. `['DROM']`. */
  readonly memoryTypes: readonly string[];
}

/** The XOR checksum after the segments (esp32-image.md "Checksum"). */
export interface ChecksumCheck {
  readonly stored: number;
  readonly computed: number;
  readonly valid: boolean;
  /** File offset of the checksum byte. */
  readonly offset: number;
}

/** The appended SHA-256 (esp32-image.md "Appended hash"), lowercase hex. */
export interface HashCheck {
  readonly stored: string;
  readonly computed: string;
  readonly valid: boolean;
  /** File offset of the 32 stored bytes. */
  readonly offset: number;
}

/** `esp_app_desc_t`, decoded (strings end at their first NUL). */
export interface AppDescriptor {
  readonly secureVersion: number;
  readonly version: string;
  readonly projectName: string;
  readonly time: string;
  readonly date: string;
  readonly idfVersion: string;
  /** Lowercase hex. */
  readonly elfSha256: string;
  /** `major.minor`, as esptool prints "Minimal eFuse block revision". */
  readonly minEfuseBlockRev: string;
  readonly maxEfuseBlockRev: string;
  /** MMU page size in bytes, or null when the descriptor leaves it unset (0). */
  readonly mmuPageSize: number | null;
}

/** `esp_bootloader_desc_t` of a bootloader image (ESP-IDF 5.2 and later), as esptool prints it. */
export interface BootloaderDescriptor {
  readonly version: number;
  readonly idfVersion: string;
  readonly dateTime: string;
}

/** The Secure Boot V2 signature sector, when the file ends with one. */
export interface SignatureSectorInfo {
  /** File offset of the sector (a multiple of 4096). */
  readonly offset: number;
  /** SHA-256 of everything before the sector (the content each block signs), lowercase hex. */
  readonly contentSha256: string;
  readonly blocks: readonly SignatureBlock[];
}

/**
 * Everything the parser found in one file. Fields it could not reach (a truncated or broken
 * file) are null or empty, and `problems` says why. The image is valid iff `problems` is empty.
 */
export interface AppImageInfo {
  /** File size in bytes. */
  readonly size: number;
  /** SHA-256 of the whole file, lowercase hex. */
  readonly sha256: string;
  readonly header: ImageHeader | null;
  readonly segments: readonly ImageSegment[];
  readonly checksum: ChecksumCheck | null;
  /** null when the header says no hash is appended (or the file ends before it). */
  readonly hash: HashCheck | null;
  /** null for a non-application image (e.g. a bootloader) or a broken one. */
  readonly app: AppDescriptor | null;
  /**
   * The bootloader descriptor, found as esptool `image_info` finds it: only in an image without a
   * DROM segment, at the start of the last DRAM segment of at least 80 bytes, magic 0x50; null
   * otherwise (older bootloaders have none).
   */
  readonly bootloader: BootloaderDescriptor | null;
  /** File offset just past the image (checksum byte, or appended hash), or null if not reached. */
  readonly imageEnd: number | null;
  readonly signatureSector: SignatureSectorInfo | null;
  /** Every problem found, in file order of discovery. */
  readonly problems: readonly ImageProblem[];
}

/** Options of both parsers. */
export interface ParseAppImageOptions {
  /**
   * The chip the image must be built for (`esp32`, `ESP32-S2`, …); a different `chip_id` is a
   * `wrong-chip` problem.
   * @defaultValue any known chip is accepted
   */
  readonly targetChip?: string;
}
