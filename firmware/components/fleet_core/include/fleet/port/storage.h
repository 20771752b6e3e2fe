/**
 * @file port/storage.h
 * @brief Port interface: small persistent records (credentials, OTA progress).
 *
 * Each record is written atomically: after a power cut at any point a read returns either the
 * previous content or the new one, never a mix. ESP-IDF: one NVS blob per key (NVS keeps the old
 * entry until the new one is complete; the partition is encrypted). POSIX: one file per key,
 * written as temp file + fsync + rename + fsync of the directory.
 */
#pragma once

#include <stddef.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest record key (NVS limits keys to 15 characters). */
#define FLEET_STORAGE_KEY_MAX_LENGTH 15

/**
 * Read a record.
 *
 * @param key Record name, at most FLEET_STORAGE_KEY_MAX_LENGTH characters.
 * @param buf Receives the record.
 * @param size Size of @p buf.
 * @param out_len Receives the record length.
 * @return FLEET_OK; FLEET_ERR_NOT_FOUND if there is no record; FLEET_ERR_BUFFER_TOO_SMALL;
 *         FLEET_ERR_IO.
 */
enum fleet_status fleet_port_storage_read(const char *key, void *buf, size_t size, size_t *out_len);

/**
 * Replace a record atomically.
 *
 * @param key Record name.
 * @param data New content.
 * @param len Length of @p data.
 * @return FLEET_OK or FLEET_ERR_IO (the old content is then still in place).
 */
enum fleet_status fleet_port_storage_write(const char *key, const void *data, size_t len);

/**
 * Delete a record; deleting a missing record is not an error.
 *
 * @param key Record name.
 * @return FLEET_OK or FLEET_ERR_IO.
 */
enum fleet_status fleet_port_storage_erase(const char *key);

#ifdef __cplusplus
}
#endif
