/**
 * Offsets, magic numbers and tables of the ESP32-family application image, in one place.
 *
 * Sources, cited per value:
 * - [fmt] ESP-IDF `components/bootloader_support/include/esp_app_format.h` (`esp_image_header_t`,
 *   `esp_image_segment_header_t`, `ESP_IMAGE_HEADER_MAGIC`, `ESP_IMAGE_MAX_SEGMENTS`, enums)
 * - [desc] ESP-IDF `components/esp_app_format/include/esp_app_desc.h` (`esp_app_desc_t`)
 * - [doc] `shared/docs/esp32-image.md` (section named after the colon)
 * - [esptool] esptool `esptool/bin_image.py`, `esptool/targets/<chip>.py`, `esptool/cmds.py`
 * All multi-byte integers in the image are little-endian ([doc]).
 */

/** [fmt] `ESP_IMAGE_HEADER_MAGIC`; [doc]: esp_image_header_t offset 0. */
export const IMAGE_MAGIC = 0xe9;
/** [fmt] `ESP_IMAGE_MAX_SEGMENTS`; [esptool] `BaseFirmwareImage.verify` ("max 16"). */
export const MAX_SEGMENTS = 16;
/** [fmt] `sizeof(esp_image_header_t)` = 8 common + 16 extended bytes; [doc] "(24 bytes)". */
export const HEADER_SIZE = 24;
/** [fmt] `sizeof(esp_image_segment_header_t)`: load_addr u32 + data_len u32. */
export const SEGMENT_HEADER_SIZE = 8;
/** [esptool] `ESPLoader.ESP_CHECKSUM_MAGIC`; [doc]: Checksum "starting from 0xEF". */
export const CHECKSUM_SEED = 0xef;
/** [doc]: Checksum: zero padding to a 16-byte boundary, checksum in its last byte. */
export const CHECKSUM_ALIGN = 16;
/** [doc]: Appended hash: SHA-256, 32 bytes. */
export const APPENDED_HASH_SIZE = 32;
/** [esptool] `ESP32FirmwareImage.WP_PIN_DISABLED`; [doc] offset 8 "(0xEE = disabled)". */
export const WP_PIN_DISABLED = 0xee;

/** Byte offsets inside `esp_image_header_t` ([fmt]; [doc] table "esp_image_header_t"). */
export const HeaderOffset = {
  magic: 0,
  segmentCount: 1,
  spiMode: 2,
  /** low nibble spi_speed, high nibble spi_size */
  spiSpeedSize: 3,
  entryAddr: 4,
  wpPin: 8,
  spiPinDrv: 9,
  chipId: 12,
  minChipRev: 14,
  minChipRevFull: 15,
  maxChipRevFull: 17,
  reserved: 19,
  hashAppended: 23,
} as const;

/** [desc] `ESP_APP_DESC_MAGIC_WORD`; [doc]: esp_app_desc_t at 0x20. */
export const APP_DESC_MAGIC = 0xabcd5432;
/** [desc] `sizeof(esp_app_desc_t)`; [doc] "(256 bytes)". */
export const APP_DESC_SIZE = 256;
/** [doc]: the descriptor starts at file offset 0x20, the first bytes of segment 0's data. */
export const APP_DESC_FILE_OFFSET = HEADER_SIZE + SEGMENT_HEADER_SIZE;

/**
 * Offsets inside `esp_app_desc_t`, relative to its start ([desc]; [doc] gives them absolute,
 * 0x20 higher). `minEfuseBlkRevFull`, `maxEfuseBlkRevFull`, `mmuPageSize`: [desc] fields after
 * `app_elf_sha256`, as esptool `_parse_app_info` unpacks them (`<II8s32s32s16s16s32s32sHHB`).
 */
export const AppDescOffset = {
  magic: 0x00,
  secureVersion: 0x04,
  version: 0x10,
  projectName: 0x30,
  time: 0x50,
  date: 0x60,
  idfVersion: 0x70,
  elfSha256: 0x90,
  minEfuseBlkRevFull: 0xb0,
  maxEfuseBlkRevFull: 0xb2,
  mmuPageSize: 0xb4,
} as const;

/** Lengths of the descriptor's char arrays ([desc]). */
export const AppDescLength = {
  version: 32,
  projectName: 32,
  time: 16,
  date: 16,
  idfVersion: 32,
  elfSha256: 32,
} as const;

/**
 * `esp_bootloader_desc_t` (ESP-IDF `components/esp_bootloader_format/include/esp_bootloader_desc.h`;
 * esptool `_parse_bootloader_info`, `<B3sI32s24s16s`): magic byte 0x50, version u32 at 4,
 * idf_ver char[32] at 8, date_time char[24] at 40; 80 bytes.
 */
export const BOOTLOADER_DESC_MAGIC = 0x50;
export const BOOTLOADER_DESC_SIZE = 80;
export const BootloaderDescOffset = { version: 4, idfVersion: 8, dateTime: 40 } as const;

/** A chip as the image header names it. */
export interface ChipDefinition {
  /** `chip_id` in the extended header. */
  readonly id: number;
  /** The name esptool prints (`CHIP_NAME`). */
  readonly name: string;
  /** Flash frequency names by the header's low nibble (esptool `FLASH_FREQUENCY`). */
  readonly flashFrequencies: Readonly<Record<number, string>>;
}

/** [fmt] `esp_image_spi_freq_t`; [esptool] `targets/esp32.py` `FLASH_FREQUENCY`. */
const FREQ_ESP32: Readonly<Record<number, string>> = {
  0x0: '40m',
  0x1: '26m',
  0x2: '20m',
  0xf: '80m',
};

/**
 * Chips by `chip_id`: ids from [fmt] `esp_chip_id_t` and [doc] offset 12; names and frequency
 * tables from [esptool] `targets/<chip>.py` (`CHIP_NAME`, `IMAGE_CHIP_ID`, `FLASH_FREQUENCY`; the
 * C2, C6 and H2 override the table: C6 maps both 80m and 40m to 0, esptool's "workaround for
 * wrong mspi HS div value in ROM", so 0 reads back as 40m there).
 */
export const CHIPS: readonly ChipDefinition[] = [
  { id: 0x0000, name: 'ESP32', flashFrequencies: FREQ_ESP32 },
  { id: 0x0002, name: 'ESP32-S2', flashFrequencies: FREQ_ESP32 },
  { id: 0x0005, name: 'ESP32-C3', flashFrequencies: FREQ_ESP32 },
  { id: 0x0009, name: 'ESP32-S3', flashFrequencies: FREQ_ESP32 },
  {
    id: 0x000c,
    name: 'ESP32-C2',
    flashFrequencies: { 0xf: '60m', 0x0: '30m', 0x1: '20m', 0x2: '15m' },
  },
  { id: 0x000d, name: 'ESP32-C6', flashFrequencies: { 0x0: '40m', 0x2: '20m' } },
  {
    id: 0x0010,
    name: 'ESP32-H2',
    flashFrequencies: { 0xf: '48m', 0x0: '24m', 0x1: '16m', 0x2: '12m' },
  },
];

/** The chip with this `chip_id`, or undefined for an id we do not know. */
export function chipById(id: number): ChipDefinition | undefined {
  return CHIPS.find(chip => chip.id === id);
}

/** The chip named `name` (case and dashes ignored: `esp32s2`, `ESP32-S2`), or undefined. */
export function chipByName(name: string): ChipDefinition | undefined {
  const key = name.toLowerCase().replace(/[-_ ]/g, '');
  return CHIPS.find(chip => chip.name.toLowerCase().replace(/-/g, '') === key);
}

/** [fmt] `esp_image_spi_mode_t`; [doc] offset 2; printed upper-case as esptool does. */
export const FLASH_MODES: readonly string[] = [
  'QIO',
  'QOUT',
  'DIO',
  'DOUT',
  'FAST_READ',
  'SLOW_READ',
];

/**
 * [fmt] `esp_image_flash_size_t`; [doc] offset 3 high nibble; [esptool] `targets/esp32.py`
 * `FLASH_SIZES` (shared by every ESP32-family chip).
 */
export const FLASH_SIZES: readonly string[] = [
  '1MB',
  '2MB',
  '4MB',
  '8MB',
  '16MB',
  '32MB',
  '64MB',
  '128MB',
];
