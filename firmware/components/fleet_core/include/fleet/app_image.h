/**
 * @file app_image.h
 * @brief The parts of an ESP32 app image the device checks before it accepts an update.
 *
 * Layout (all little-endian; shared/docs/esp32-image.md, from ESP-IDF esp_app_format.h and
 * esp_app_desc.h): esp_image_header_t is 24 bytes (magic 0xE9 at 0, segment_count at 1, chip_id
 * u16 at 12, hash_appended at 23); the first segment header follows (load_addr, data_len) and its
 * data starts at 0x20 with esp_app_desc_t (magic_word 0xABCD5432, secure_version u32 at 0x24,
 * version char[32] at 0x30, project_name char[32] at 0x50). The first
 * FLEET_APP_IMAGE_PREFIX_LENGTH bytes of the stream hold all of it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/config.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes needed from the start of an image: header, first segment header, app descriptor. */
#define FLEET_APP_IMAGE_PREFIX_LENGTH 0x120
#define FLEET_APP_IMAGE_MAGIC 0xE9
#define FLEET_APP_IMAGE_MAX_SEGMENTS 16
#define FLEET_APP_DESC_OFFSET 0x20
#define FLEET_APP_DESC_MAGIC 0xABCD5432u
#define FLEET_APP_DESC_LENGTH 256
#define FLEET_APP_PROJECT_NAME_MAX_LENGTH 32

/** What the device learns from the image prefix. */
struct fleet_app_image_info {
  uint16_t chip_id;
  uint8_t segment_count;
  uint8_t hash_appended;
  uint32_t secure_version;
  char version[FLEET_VERSION_MAX_LENGTH + 1];               /**< NUL-terminated. */
  char project_name[FLEET_APP_PROJECT_NAME_MAX_LENGTH + 1]; /**< NUL-terminated. */
};

/**
 * Parse the image header and app descriptor.
 *
 * Example: the first 0x120 bytes of esp32-app-template.bin give chip_id 0, 5 segments,
 * version "1cd5752", project "app-template", secure_version 0.
 *
 * @param prefix First bytes of the image.
 * @param len Number of bytes; at least FLEET_APP_IMAGE_PREFIX_LENGTH.
 * @param info Receives the facts.
 * @param error_offset Receives the offset of the offending byte on error (may be NULL).
 * @return FLEET_OK; FLEET_ERR_INVALID_ARG if @p len is short; FLEET_ERR_IMAGE_MAGIC;
 *         FLEET_ERR_PARSE for a bad segment count or hash_appended; FLEET_ERR_IMAGE_NOT_APP when
 *         there is no app descriptor (a bootloader image).
 */
enum fleet_status fleet_app_image_parse_prefix(const uint8_t *prefix, size_t len,
                                               struct fleet_app_image_info *info,
                                               size_t *error_offset);

#ifdef __cplusplus
}
#endif
