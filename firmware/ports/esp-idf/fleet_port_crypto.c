/* Crypto port, SHA-256 half, over ESP-IDF's mbedTLS 3 (the SHA accelerator when enabled).
 * ECDSA verification and the device key + CSR: components/fleet_mbedtls (shared with POSIX). */
#include "fleet/port/crypto.h"
#include "mbedtls/sha256.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= FLEET_CONFIG_SHA256_CTX_SIZE,
               "FLEET_CONFIG_SHA256_CTX_SIZE too small for mbedtls_sha256_context");

static mbedtls_sha256_context *prv_sha(struct fleet_sha256 *ctx) {
  return (mbedtls_sha256_context *)(void *)ctx->storage.bytes;
}

enum fleet_status fleet_port_crypto_sha256_start(struct fleet_sha256 *ctx) {
  mbedtls_sha256_init(prv_sha(ctx));
  return mbedtls_sha256_starts(prv_sha(ctx), 0) == 0 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}

enum fleet_status fleet_port_crypto_sha256_update(struct fleet_sha256 *ctx, const uint8_t *data,
                                                  size_t len) {
  return mbedtls_sha256_update(prv_sha(ctx), data, len) == 0 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}

enum fleet_status fleet_port_crypto_sha256_finish(struct fleet_sha256 *ctx, uint8_t digest[32]) {
  int rc = mbedtls_sha256_finish(prv_sha(ctx), digest);
  mbedtls_sha256_free(prv_sha(ctx));
  return rc == 0 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}
