/**
 * @file fleet_posix_main.h
 * @brief What fleet-device's main provides to the ports.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

/** Restart the process (execv of itself with the same arguments): the virtual ESP32 reboots. */
void fleet_posix_reboot(void);

/**
 * Seed the HTTP client's TLS random generator (mbedTLS CTR-DRBG) once, at start; the first https
 * GET would do it otherwise.
 */
void fleet_posix_http_init(void);

/** First bytes of the running slot (implemented in fleet_port_ota.c). */
enum fleet_status fleet_posix_flash_read_running(uint8_t *buf, size_t len);
