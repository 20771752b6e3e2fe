/**
 * The memory regions a segment's load address falls in, by chip, as esptool `image_info` names
 * them in its "Memory types" column. Facts from esptool `esptool/targets/<chip>.py`
 * (`MEMORY_MAP`: `[start, end, name]`, end exclusive); the ESP32-H2 uses the ESP32-C6 map
 * (`ESP32H2ROM` inherits it).
 */

type Region = readonly [start: number, end: number, name: string];

const ESP32: readonly Region[] = [
  [0x00000000, 0x00010000, 'PADDING'],
  [0x3f400000, 0x3f800000, 'DROM'],
  [0x3f800000, 0x3fc00000, 'EXTRAM_DATA'],
  [0x3ff80000, 0x3ff82000, 'RTC_DRAM'],
  [0x3ff90000, 0x40000000, 'BYTE_ACCESSIBLE'],
  [0x3ffae000, 0x40000000, 'DRAM'],
  [0x3ffe0000, 0x3ffffffc, 'DIRAM_DRAM'],
  [0x40000000, 0x40070000, 'IROM'],
  [0x40070000, 0x40078000, 'CACHE_PRO'],
  [0x40078000, 0x40080000, 'CACHE_APP'],
  [0x40080000, 0x400a0000, 'IRAM'],
  [0x400a0000, 0x400bfffc, 'DIRAM_IRAM'],
  [0x400c0000, 0x400c2000, 'RTC_IRAM'],
  [0x400d0000, 0x40400000, 'IROM'],
  [0x50000000, 0x50002000, 'RTC_DATA'],
];

const ESP32_S2: readonly Region[] = [
  [0x00000000, 0x00010000, 'PADDING'],
  [0x3f000000, 0x3ff80000, 'DROM'],
  [0x3f500000, 0x3ff80000, 'EXTRAM_DATA'],
  [0x3ff9e000, 0x3ffa0000, 'RTC_DRAM'],
  [0x3ff9e000, 0x40000000, 'BYTE_ACCESSIBLE'],
  [0x3ff9e000, 0x40072000, 'MEM_INTERNAL'],
  [0x3ffb0000, 0x40000000, 'DRAM'],
  [0x40000000, 0x4001a100, 'IROM_MASK'],
  [0x40020000, 0x40070000, 'IRAM'],
  [0x40070000, 0x40072000, 'RTC_IRAM'],
  [0x40080000, 0x40800000, 'IROM'],
  [0x50000000, 0x50002000, 'RTC_DATA'],
];

const ESP32_S3: readonly Region[] = [
  [0x00000000, 0x00010000, 'PADDING'],
  [0x3c000000, 0x3d000000, 'DROM'],
  [0x3d000000, 0x3e000000, 'EXTRAM_DATA'],
  [0x600fe000, 0x60100000, 'RTC_DRAM'],
  [0x3fc88000, 0x3fd00000, 'BYTE_ACCESSIBLE'],
  [0x3fc88000, 0x403e2000, 'MEM_INTERNAL'],
  [0x3fc88000, 0x3fd00000, 'DRAM'],
  [0x40000000, 0x4001a100, 'IROM_MASK'],
  [0x40370000, 0x403e0000, 'IRAM'],
  [0x600fe000, 0x60100000, 'RTC_IRAM'],
  [0x42000000, 0x42800000, 'IROM'],
  [0x50000000, 0x50002000, 'RTC_DATA'],
];

const ESP32_C3: readonly Region[] = [
  [0x00000000, 0x00010000, 'PADDING'],
  [0x3c000000, 0x3c800000, 'DROM'],
  [0x3fc80000, 0x3fce0000, 'DRAM'],
  [0x3fc88000, 0x3fd00000, 'BYTE_ACCESSIBLE'],
  [0x3ff00000, 0x3ff20000, 'DROM_MASK'],
  [0x40000000, 0x40060000, 'IROM_MASK'],
  [0x42000000, 0x42800000, 'IROM'],
  [0x4037c000, 0x403e0000, 'IRAM'],
  [0x50000000, 0x50002000, 'RTC_IRAM'],
  [0x50000000, 0x50002000, 'RTC_DRAM'],
  [0x600fe000, 0x60100000, 'MEM_INTERNAL2'],
];

const ESP32_C2: readonly Region[] = [
  [0x00000000, 0x00010000, 'PADDING'],
  [0x3c000000, 0x3c400000, 'DROM'],
  [0x3fca0000, 0x3fce0000, 'DRAM'],
  [0x3fc88000, 0x3fd00000, 'BYTE_ACCESSIBLE'],
  [0x3ff00000, 0x3ff50000, 'DROM_MASK'],
  [0x40000000, 0x40090000, 'IROM_MASK'],
  [0x42000000, 0x42400000, 'IROM'],
  [0x4037c000, 0x403c0000, 'IRAM'],
];

const ESP32_C6: readonly Region[] = [
  [0x00000000, 0x00010000, 'PADDING'],
  [0x42000000, 0x43000000, 'DROM'],
  [0x40800000, 0x40880000, 'DRAM'],
  [0x40800000, 0x40880000, 'BYTE_ACCESSIBLE'],
  [0x4004ac00, 0x40050000, 'DROM_MASK'],
  [0x40000000, 0x4004ac00, 'IROM_MASK'],
  [0x42000000, 0x43000000, 'IROM'],
  [0x40800000, 0x40880000, 'IRAM'],
  [0x50000000, 0x50004000, 'RTC_IRAM'],
  [0x50000000, 0x50004000, 'RTC_DRAM'],
  [0x600fe000, 0x60100000, 'MEM_INTERNAL2'],
];

const MAPS: Readonly<Record<number, readonly Region[]>> = {
  0x0000: ESP32,
  0x0002: ESP32_S2,
  0x0005: ESP32_C3,
  0x0009: ESP32_S3,
  0x000c: ESP32_C2,
  0x000d: ESP32_C6,
  0x0010: ESP32_C6,
};

/**
 * Names of the memory regions that contain `loadAddr` on the chip with `chipId`, in esptool's
 * order (e.g. `['BYTE_ACCESSIBLE', 'DRAM']` for 0x3ffb0000 on the ESP32); empty for an unknown
 * chip or an address outside every region.
 */
export function memoryTypes(chipId: number, loadAddr: number): string[] {
  const map = MAPS[chipId] ?? [];
  return map
    .filter(([start, end]) => start <= loadAddr && loadAddr < end)
    .map(([, , name]) => name);
}
