#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/port/ota.h"

#define FAKE_OTA_SLOT_SIZE (1024 * 1024)

/** Two erased slots, running from slot 0, VALID. */
void fake_port_ota_reset(void);
/** A power cut: every slot loses what was written since its last fleet_port_ota_flush(). */
void fake_port_ota_power_cut(void);
/** Contents of a slot as a power cut now would leave them (FAKE_OTA_SLOT_SIZE bytes). */
const uint8_t *fake_port_ota_durable_slot(uint8_t slot);
/** Contents of a slot (FAKE_OTA_SLOT_SIZE bytes). */
const uint8_t *fake_port_ota_slot(uint8_t slot);
/** Slot selected by fleet_port_ota_set_boot_slot(), or -1. */
int fake_port_ota_boot_slot(void);
/** Total bytes written through fleet_port_ota_write() since reset. */
uint64_t fake_port_ota_bytes_written(void);
/** Lowest offset written since the last call (UINT64_MAX if none). */
uint64_t fake_port_ota_take_lowest_write_offset(void);
/** Simulate a reboot into @p slot in @p state. */
void fake_port_ota_boot(uint8_t slot, enum fleet_ota_image_state state);
/** Number of fleet_port_ota_mark_valid() calls. */
unsigned fake_port_ota_mark_valid_count(void);
/** Number of fleet_port_ota_rollback_and_reboot() calls. */
unsigned fake_port_ota_rollback_count(void);
