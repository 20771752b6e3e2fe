#include "fleet/app_image.h"

#include <string.h>

#define FLEET_LOG_TAG "fleet_image"
#include "fleet/log.h"

/* Offsets inside the image (shared/docs/esp32-image.md, esp_image_header_t / esp_app_desc_t). */
#define PRV_OFF_SEGMENT_COUNT 1
#define PRV_OFF_CHIP_ID 12
#define PRV_OFF_HASH_APPENDED 23
#define PRV_OFF_SEG0_DATA_LEN 28
#define PRV_OFF_DESC_MAGIC 0x20
#define PRV_OFF_DESC_SECURE_VERSION 0x24
#define PRV_OFF_DESC_VERSION 0x30
#define PRV_OFF_DESC_PROJECT_NAME 0x50

static uint32_t prv_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Copy a NUL-padded char[32] field; the field need not contain a NUL. */
static void prv_copy_field(char *dst, const uint8_t *src, size_t field_len) {
  size_t n = 0;
  while (n < field_len && src[n] != 0) {
    n++;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static enum fleet_status prv_fail(enum fleet_status status, size_t offset, size_t *error_offset) {
  if (error_offset != NULL) {
    *error_offset = offset;
  }
  return status;
}

enum fleet_status fleet_app_image_parse_prefix(const uint8_t *prefix, size_t len,
                                               struct fleet_app_image_info *info,
                                               size_t *error_offset) {
  if (prefix == NULL || info == NULL || len < FLEET_APP_IMAGE_PREFIX_LENGTH) {
    return prv_fail(FLEET_ERR_INVALID_ARG, len, error_offset);
  }
  memset(info, 0, sizeof(*info));
  if (prefix[0] != FLEET_APP_IMAGE_MAGIC) {
    FLEET_LOG_ERROR("image magic 0x%02x at offset 0, expected 0x%02x", prefix[0],
                    FLEET_APP_IMAGE_MAGIC);
    return prv_fail(FLEET_ERR_IMAGE_MAGIC, 0, error_offset);
  }
  info->segment_count = prefix[PRV_OFF_SEGMENT_COUNT];
  if (info->segment_count == 0 || info->segment_count > FLEET_APP_IMAGE_MAX_SEGMENTS) {
    FLEET_LOG_ERROR("segment_count %u at offset 1, expected 1..%d", info->segment_count,
                    FLEET_APP_IMAGE_MAX_SEGMENTS);
    return prv_fail(FLEET_ERR_PARSE, PRV_OFF_SEGMENT_COUNT, error_offset);
  }
  info->chip_id = (uint16_t)(prefix[PRV_OFF_CHIP_ID] | (prefix[PRV_OFF_CHIP_ID + 1] << 8));
  info->hash_appended = prefix[PRV_OFF_HASH_APPENDED];
  if (info->hash_appended > 1) {
    FLEET_LOG_ERROR("hash_appended %u at offset 23, expected 0 or 1", info->hash_appended);
    return prv_fail(FLEET_ERR_PARSE, PRV_OFF_HASH_APPENDED, error_offset);
  }
  uint32_t seg0_len = prv_le32(prefix + PRV_OFF_SEG0_DATA_LEN);
  uint32_t magic = prv_le32(prefix + PRV_OFF_DESC_MAGIC);
  if (seg0_len < FLEET_APP_DESC_LENGTH || magic != FLEET_APP_DESC_MAGIC) {
    FLEET_LOG_ERROR("no app descriptor: word 0x%08x at offset 0x20, expected 0x%08x", magic,
                    FLEET_APP_DESC_MAGIC);
    return prv_fail(FLEET_ERR_IMAGE_NOT_APP, PRV_OFF_DESC_MAGIC, error_offset);
  }
  info->secure_version = prv_le32(prefix + PRV_OFF_DESC_SECURE_VERSION);
  prv_copy_field(info->version, prefix + PRV_OFF_DESC_VERSION, FLEET_VERSION_MAX_LENGTH);
  prv_copy_field(info->project_name, prefix + PRV_OFF_DESC_PROJECT_NAME,
                 FLEET_APP_PROJECT_NAME_MAX_LENGTH);
  return FLEET_OK;
}
