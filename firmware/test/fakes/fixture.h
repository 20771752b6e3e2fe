#pragma once

#include <stddef.h>
#include <stdint.h>

/**
 * Read a fixture image from shared/fixtures/esp32 (read in place, never copied).
 * Aborts the test binary if the file is missing.
 *
 * @param name File name, e.g. "esp32-app-template.bin".
 * @param len Receives the size.
 * @return malloc'd bytes (test code only); free() them.
 */
uint8_t *fixture_read(const char *name, size_t *len);
