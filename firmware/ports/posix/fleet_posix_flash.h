/**
 * @file fleet_posix_flash.h
 * @brief The virtual ESP32's flash: <state>/flash.bin holding otadata and two app slots, and the
 *        boot decision a second-stage bootloader with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE makes.
 *
 * Layout: two otadata copies of 4 KB (as the ESP-IDF otadata partition has two sectors; the valid
 * copy with the higher sequence number wins, and writes alternate so a torn write leaves the
 * other copy intact), then slot 0, then slot 1.
 */
#pragma once

#include <stdint.h>

#include "fleet/status.h"

/**
 * Open (or create) the flash file and make the boot decision, as the bootloader would:
 * a slot in NEW boots as PENDING_VERIFY; a slot still PENDING_VERIFY at boot is marked INVALID
 * and the other slot boots (rollback).
 *
 * @return FLEET_OK or FLEET_ERR_IO.
 */
enum fleet_status fleet_posix_flash_boot(void);
