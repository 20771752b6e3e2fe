/**
 * @file credentials.h
 * @brief The device identity obtained by provisioning, stored as ONE record so that a power cut
 *        leaves either the old identity or the new one (port/storage.h writes records atomically).
 */
#pragma once

#include <stddef.h>

#include "fleet/config.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Storage key of the credentials record. */
#define FLEET_CREDENTIALS_KEY "fleet_creds"

/** Thing name, certificate and private key (NUL-terminated). */
struct fleet_credentials {
  char thing_name[FLEET_THING_NAME_MAX_LENGTH + 1];
  char cert_pem[FLEET_CERT_PEM_MAX_LENGTH + 1];
  char key_pem[FLEET_KEY_PEM_MAX_LENGTH + 1];
};

/** Largest serialized record: header plus the three fields. */
#define FLEET_CREDENTIALS_RECORD_MAX_LENGTH (sizeof(struct fleet_credentials) + 16)

/**
 * Load the credentials record.
 *
 * @param creds Receives the credentials.
 * @param scratch Buffer of FLEET_CREDENTIALS_RECORD_MAX_LENGTH bytes for the raw record.
 * @param scratch_size Size of @p scratch.
 * @return FLEET_OK; FLEET_ERR_NOT_FOUND (never provisioned); FLEET_ERR_PARSE for a damaged record.
 */
enum fleet_status fleet_credentials_load(struct fleet_credentials *creds, void *scratch,
                                         size_t scratch_size);

/**
 * Store the credentials as one atomic record.
 *
 * @param creds Credentials; every field non-empty.
 * @param scratch Buffer of FLEET_CREDENTIALS_RECORD_MAX_LENGTH bytes.
 * @param scratch_size Size of @p scratch.
 * @return FLEET_OK, FLEET_ERR_INVALID_ARG, or the storage port's error.
 */
enum fleet_status fleet_credentials_store(const struct fleet_credentials *creds, void *scratch,
                                          size_t scratch_size);

#ifdef __cplusplus
}
#endif
