/* OTA port fake: two slots in memory with ESP-IDF semantics for boot state. */
#include "fake_port_ota.h"

#include <string.h>

static uint8_t s_slots[2][FAKE_OTA_SLOT_SIZE];
/* What a power cut leaves: the slots as of the last fleet_port_ota_flush(). */
static uint8_t s_durable[2][FAKE_OTA_SLOT_SIZE];
static uint8_t s_running;
static enum fleet_ota_image_state s_state;
static int s_boot_slot;
static uint64_t s_written;
static uint64_t s_lowest;
static unsigned s_mark_valid;
static unsigned s_rollback;

void fake_port_ota_reset(void) {
  memset(s_slots, 0xFF, sizeof(s_slots));
  memset(s_durable, 0xFF, sizeof(s_durable));
  s_running = 0;
  s_state = FLEET_OTA_IMAGE_VALID;
  s_boot_slot = -1;
  s_written = 0;
  s_lowest = UINT64_MAX;
  s_mark_valid = s_rollback = 0;
}

void fake_port_ota_power_cut(void) {
  memcpy(s_slots, s_durable, sizeof(s_slots));
}

const uint8_t *fake_port_ota_durable_slot(uint8_t slot) {
  return s_durable[slot];
}

const uint8_t *fake_port_ota_slot(uint8_t slot) {
  return s_slots[slot];
}
int fake_port_ota_boot_slot(void) {
  return s_boot_slot;
}
uint64_t fake_port_ota_bytes_written(void) {
  return s_written;
}
uint64_t fake_port_ota_take_lowest_write_offset(void) {
  uint64_t v = s_lowest;
  s_lowest = UINT64_MAX;
  return v;
}
void fake_port_ota_boot(uint8_t slot, enum fleet_ota_image_state state) {
  s_running = slot;
  s_state = state;
  s_boot_slot = -1;
}
unsigned fake_port_ota_mark_valid_count(void) {
  return s_mark_valid;
}
unsigned fake_port_ota_rollback_count(void) {
  return s_rollback;
}

uint8_t fleet_port_ota_running_slot(void) {
  return s_running;
}

enum fleet_status fleet_port_ota_running_state(enum fleet_ota_image_state *state) {
  *state = s_state;
  return FLEET_OK;
}

uint64_t fleet_port_ota_slot_size(uint8_t slot) {
  return slot < 2 ? FAKE_OTA_SLOT_SIZE : 0;
}

enum fleet_status fleet_port_ota_begin(uint8_t slot, uint64_t offset, uint64_t image_size) {
  if (slot > 1 || slot == s_running || offset > image_size || image_size > FAKE_OTA_SLOT_SIZE) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(s_slots[slot] + offset, 0xFF, (size_t)(image_size - offset));
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                       size_t len) {
  if (slot > 1 || slot == s_running || offset + len > FAKE_OTA_SLOT_SIZE)
    return FLEET_ERR_IO;
  memcpy(s_slots[slot] + offset, data, len);
  s_written += len;
  if (offset < s_lowest)
    s_lowest = offset;
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_read(uint8_t slot, uint64_t offset, uint8_t *buf, size_t len) {
  if (slot > 1 || offset + len > FAKE_OTA_SLOT_SIZE)
    return FLEET_ERR_IO;
  memcpy(buf, s_slots[slot] + offset, len);
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_flush(uint8_t slot) {
  if (slot > 1)
    return FLEET_ERR_INVALID_ARG;
  memcpy(s_durable[slot], s_slots[slot], sizeof(s_durable[slot]));
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_set_boot_slot(uint8_t slot) {
  s_boot_slot = slot;
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_mark_valid(void) {
  s_mark_valid++;
  s_state = FLEET_OTA_IMAGE_VALID;
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_rollback_and_reboot(void) {
  s_rollback++;
  return FLEET_OK;
}

void fleet_port_system_reboot(void) {}
