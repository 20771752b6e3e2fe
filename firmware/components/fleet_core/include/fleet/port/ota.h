/**
 * @file port/ota.h
 * @brief Port interface: the two OTA app slots, the boot selection and app rollback.
 *
 * Modelled on esp_ota_ops (ESP-IDF docs/en/api-reference/system/ota.rst): slots ota_0 and ota_1,
 * otadata selects the boot slot; with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE a newly selected app
 * boots in PENDING_VERIFY and must mark itself valid, else the next boot returns to the old one.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** State of the running app, as esp_ota_img_states_t. */
enum fleet_ota_image_state {
  FLEET_OTA_IMAGE_VALID,          /**< Marked valid (or rollback not in use). */
  FLEET_OTA_IMAGE_PENDING_VERIFY, /**< First boot of a new app: must confirm or roll back. */
};

/**
 * Slot the running app was booted from.
 *
 * @return 0 or 1.
 */
uint8_t fleet_port_ota_running_slot(void);

/**
 * State of the running app.
 *
 * @param state Receives the state.
 * @return FLEET_OK or a platform error.
 */
enum fleet_status fleet_port_ota_running_state(enum fleet_ota_image_state *state);

/**
 * Capacity of a slot in bytes.
 *
 * @param slot 0 or 1.
 * @return Bytes; 0 for an unknown slot.
 */
uint64_t fleet_port_ota_slot_size(uint8_t slot);

/**
 * Prepare a slot for writing bytes [@p offset, @p image_size): erase that range (as
 * esp_ota_begin(partition, image_size) erases only what the image needs), at once or sector by
 * sector as the writes reach it (OTA_WITH_SEQUENTIAL_WRITES); nothing before @p offset is
 * touched, so a resumed download keeps what it wrote (esp_ota_resume semantics).
 *
 * @param slot Inactive slot.
 * @param offset First byte that will be written.
 * @param image_size Size of the whole image.
 * @return FLEET_OK, FLEET_ERR_INVALID_ARG (the running slot, or offset beyond the slot), I/O error.
 */
enum fleet_status fleet_port_ota_begin(uint8_t slot, uint64_t offset, uint64_t image_size);

/**
 * Write bytes to a slot; the core writes FLEET_CONFIG_OTA_WRITE_SIZE bytes at aligned offsets,
 * except for the last write.
 *
 * @param slot Slot from fleet_port_ota_begin().
 * @param offset Byte offset inside the slot.
 * @param data Bytes.
 * @param len Number of bytes.
 * @return FLEET_OK or FLEET_ERR_IO.
 */
enum fleet_status fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                       size_t len);

/**
 * Read back bytes of a slot (to re-hash the part written before a reboot).
 *
 * @param slot Slot.
 * @param offset Byte offset.
 * @param buf Receives the bytes.
 * @param len Number of bytes.
 * @return FLEET_OK or FLEET_ERR_IO.
 */
enum fleet_status fleet_port_ota_read(uint8_t slot, uint64_t offset, uint8_t *buf, size_t len);

/**
 * Make every write so far durable, so a persisted offset never runs ahead of the flash.
 *
 * @param slot Slot.
 * @return FLEET_OK or FLEET_ERR_IO.
 */
enum fleet_status fleet_port_ota_flush(uint8_t slot);

/**
 * Select @p slot for the next boot; the app there starts in PENDING_VERIFY.
 *
 * @param slot Slot holding a complete, verified image.
 * @return FLEET_OK or a platform error (ESP-IDF re-validates the image here).
 */
enum fleet_status fleet_port_ota_set_boot_slot(uint8_t slot);

/**
 * Confirm the running app (esp_ota_mark_app_valid_cancel_rollback); with anti-rollback this also
 * raises the secure_version eFuse.
 *
 * @return FLEET_OK or a platform error.
 */
enum fleet_status fleet_port_ota_mark_valid(void);

/**
 * Mark the running app invalid and reboot into the other slot
 * (esp_ota_mark_app_invalid_rollback_and_reboot). Returns only on failure.
 *
 * @return A platform error.
 */
enum fleet_status fleet_port_ota_rollback_and_reboot(void);

/** Restart the device; does not return. */
void fleet_port_system_reboot(void);

#ifdef __cplusplus
}
#endif
