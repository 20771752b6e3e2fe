/* OTA port over esp_ota_ops and esp_partition. Slots are the ota_0/ota_1 app partitions. Writes
 * go through esp_partition_* at explicit offsets, so a download resumes at a persisted offset
 * without erasing what is already there (the esp_ota_resume idea); esp_ota_set_boot_partition
 * then validates the whole image (and, with CONFIG_SECURE_SIGNED_ON_UPDATE_NO_SECURE_BOOT, its
 * Secure Boot V2 signature) before it selects it. */
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "fleet/port/log.h"
#include "fleet/port/ota.h"

#define PRV_SECTOR 4096u

static const esp_partition_t *prv_slot(uint8_t slot) {
  return esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                  (esp_partition_subtype_t)(ESP_PARTITION_SUBTYPE_APP_OTA_0 + slot),
                                  NULL);
}

static enum fleet_status prv_map(esp_err_t err, const char *what) {
  if (err == ESP_OK)
    return FLEET_OK;
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, "fleet_ota", "%s: %s", what, esp_err_to_name(err));
  return FLEET_ERR_IO;
}

uint8_t fleet_port_ota_running_slot(void) {
  const esp_partition_t *running = esp_ota_get_running_partition();
  return (uint8_t)(running->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_0);
}

enum fleet_status fleet_port_ota_running_state(enum fleet_ota_image_state *state) {
  esp_ota_img_states_t s = ESP_OTA_IMG_VALID;
  esp_err_t err = esp_ota_get_state_partition(esp_ota_get_running_partition(), &s);
  if (err != ESP_OK && err != ESP_ERR_NOT_SUPPORTED)
    return prv_map(err, "get state");
  *state = s == ESP_OTA_IMG_PENDING_VERIFY ? FLEET_OTA_IMAGE_PENDING_VERIFY : FLEET_OTA_IMAGE_VALID;
  return FLEET_OK;
}

uint64_t fleet_port_ota_slot_size(uint8_t slot) {
  const esp_partition_t *p = prv_slot(slot);
  return p != NULL ? p->size : 0;
}

enum fleet_status fleet_port_ota_begin(uint8_t slot, uint64_t offset, uint64_t image_size) {
  const esp_partition_t *p = prv_slot(slot);
  if (p == NULL || slot == fleet_port_ota_running_slot() || offset > image_size ||
      image_size > p->size) {
    return FLEET_ERR_INVALID_ARG;
  }
  /* Erase [offset, image_size) rounded to sectors (the core writes 4 KB blocks at aligned
   * offsets, so offset is sector aligned). */
  size_t start = (size_t)offset - (size_t)offset % PRV_SECTOR;
  size_t end = ((size_t)image_size + PRV_SECTOR - 1) / PRV_SECTOR * PRV_SECTOR;
  if (end > p->size)
    end = p->size;
  if (end <= start)
    return FLEET_OK;
  return prv_map(esp_partition_erase_range(p, start, end - start), "erase slot");
}

enum fleet_status fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                       size_t len) {
  const esp_partition_t *p = prv_slot(slot);
  if (p == NULL)
    return FLEET_ERR_INVALID_ARG;
  return prv_map(esp_partition_write(p, (size_t)offset, data, len), "write slot");
}

enum fleet_status fleet_port_ota_read(uint8_t slot, uint64_t offset, uint8_t *buf, size_t len) {
  const esp_partition_t *p = prv_slot(slot);
  if (p == NULL)
    return FLEET_ERR_INVALID_ARG;
  return prv_map(esp_partition_read(p, (size_t)offset, buf, len), "read slot");
}

enum fleet_status fleet_port_ota_flush(uint8_t slot) {
  (void)slot; /* SPI flash writes are complete when esp_partition_write returns */
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_set_boot_slot(uint8_t slot) {
  const esp_partition_t *p = prv_slot(slot);
  if (p == NULL)
    return FLEET_ERR_INVALID_ARG;
  return prv_map(esp_ota_set_boot_partition(p), "set boot partition");
}

enum fleet_status fleet_port_ota_mark_valid(void) {
  return prv_map(esp_ota_mark_app_valid_cancel_rollback(), "mark valid");
}

enum fleet_status fleet_port_ota_rollback_and_reboot(void) {
  return prv_map(esp_ota_mark_app_invalid_rollback_and_reboot(), "rollback");
}

void fleet_port_system_reboot(void) {
  esp_restart();
}
