/**
 * @file port/device.h
 * @brief Port interface: identity and security facts of this device.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Serial number sent as the SerialNumber parameter of RegisterThing (ESP32: the base MAC from
 * eFuse as 12 hex digits; POSIX: from the configuration).
 *
 * @param buf Receives a NUL-terminated string.
 * @param size Size of @p buf (FLEET_SERIAL_MAX_LENGTH + 1).
 * @return FLEET_OK or FLEET_ERR_BUFFER_TOO_SMALL.
 */
enum fleet_status fleet_port_device_serial(char *buf, size_t size);

/**
 * Chip id as in the image header (ESP32 0x0000, S2 0x0002, C3 0x0005, S3 0x0009 ...).
 *
 * @return The chip id.
 */
uint16_t fleet_port_device_chip_id(void);

/**
 * Lowest secure_version this device accepts (the anti-rollback eFuse value; 0 without it).
 *
 * @return The secure version floor.
 */
uint32_t fleet_port_device_secure_version_floor(void);

/**
 * Version string and secure_version of the running app (from its esp_app_desc_t).
 *
 * @param version Receives a NUL-terminated version.
 * @param size Size of @p version (FLEET_VERSION_MAX_LENGTH + 1).
 * @param secure_version Receives the running app's secure_version.
 * @return FLEET_OK or a platform error.
 */
enum fleet_status fleet_port_device_app_version(char *version, size_t size,
                                                uint32_t *secure_version);

/**
 * Public key (PEM) that firmware signatures must verify against; built into the firmware.
 *
 * @return NUL-terminated PEM.
 */
const char *fleet_port_device_firmware_public_key(void);

#ifdef __cplusplus
}
#endif
