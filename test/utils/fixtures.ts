/**
 * Paths to the real ESP32 images in `../shared/fixtures/esp32/` (read in place, never copied into
 * the project: see that folder's README for the facts esptool reports for each file).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = resolve(repoRoot, '../shared/fixtures/esp32');

export type FixtureName =
  | 'esp32-app-template.bin'
  | 'esp_idf_blink_esp32s2.bin'
  | 'bootloader_esp32.bin'
  | 'bootloader_signed_v2_rsa.bin'
  | 'bootloader_multi_signed_v2_rsa.bin'
  | 'rsa_secure_boot_signing_pubkey.pem'
  | 'rsa_secure_boot_signing_pubkey2.pem'
  | 'rsa_secure_boot_signing_pubkey3.pem';

export function fixturePath(name: FixtureName): string {
  return resolve(fixturesDir, name);
}

/** The fixture's bytes, as a fresh copy the test may mutate. */
export function readFixture(name: FixtureName): Buffer {
  return readFileSync(fixturePath(name));
}
