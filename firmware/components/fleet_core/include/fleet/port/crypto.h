/**
 * @file port/crypto.h
 * @brief Port interface: SHA-256, ECDSA P-256 verification, device key and CSR.
 *
 * ECDSA and the key/CSR are mbedTLS in both ports (components/fleet_mbedtls); SHA-256 is the
 * ESP32's accelerator through ESP-IDF's mbedTLS 3, and OpenSSL's libcrypto (SHA-NI) on POSIX.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/config.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Storage for a SHA-256 context, owned by the caller, used by the port. */
struct fleet_sha256 {
  union {
    unsigned char bytes[FLEET_CONFIG_SHA256_CTX_SIZE];
    long double align_ld;
    uint64_t align_u64;
    void *align_ptr;
  } storage;
};

/**
 * Start a SHA-256 computation in @p ctx.
 *
 * @param ctx Caller-owned storage.
 * @return FLEET_OK, or FLEET_ERR_PLATFORM_BASE if the crypto library failed.
 */
enum fleet_status fleet_port_crypto_sha256_start(struct fleet_sha256 *ctx);

/**
 * Feed bytes.
 *
 * @param ctx Context from fleet_port_crypto_sha256_start().
 * @param data Bytes to hash.
 * @param len Number of bytes.
 * @return FLEET_OK or a platform error.
 */
enum fleet_status fleet_port_crypto_sha256_update(struct fleet_sha256 *ctx, const uint8_t *data,
                                                  size_t len);

/**
 * Finish and release the context.
 *
 * @param ctx Context.
 * @param digest Receives 32 bytes.
 * @return FLEET_OK or a platform error.
 */
enum fleet_status fleet_port_crypto_sha256_finish(struct fleet_sha256 *ctx, uint8_t digest[32]);

/**
 * Verify an ECDSA P-256 signature over a SHA-256 digest.
 *
 * @param public_key_pem PEM SubjectPublicKeyInfo of the firmware signing key, NUL-terminated.
 * @param digest The 32-byte SHA-256 of the signed data.
 * @param signature_der ASN.1 DER ECDSA-Sig-Value (r, s).
 * @param signature_len Length of @p signature_der.
 * @return FLEET_OK if valid, FLEET_ERR_IMAGE_SIGNATURE if not, FLEET_ERR_INVALID_ARG for a bad
 *         key.
 */
enum fleet_status fleet_port_crypto_ecdsa_p256_verify(const char *public_key_pem,
                                                      const uint8_t digest[32],
                                                      const uint8_t *signature_der,
                                                      size_t signature_len);

/**
 * Generate a new EC P-256 device key and a CSR for it; the key never leaves the device except
 * into the key store.
 *
 * @param common_name Subject CN of the CSR (the serial number).
 * @param key_pem Receives the private key as a NUL-terminated PEM.
 * @param key_pem_size Size of @p key_pem (FLEET_KEY_PEM_MAX_LENGTH).
 * @param csr_pem Receives the CSR as a NUL-terminated PEM.
 * @param csr_pem_size Size of @p csr_pem (FLEET_CSR_PEM_MAX_LENGTH).
 * @return FLEET_OK, FLEET_ERR_BUFFER_TOO_SMALL or a platform error.
 */
enum fleet_status fleet_port_crypto_generate_key_and_csr(const char *common_name, char *key_pem,
                                                         size_t key_pem_size, char *csr_pem,
                                                         size_t csr_pem_size);

#ifdef __cplusplus
}
#endif
