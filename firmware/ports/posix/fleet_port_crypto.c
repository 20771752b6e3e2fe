/* Crypto port, SHA-256 half, over OpenSSL's libcrypto: its SHA256_* functions use the CPU's SHA
 * extensions (SHA-NI) where there are some, ~1.5 GB/s against ~0.2 GB/s for mbedTLS 2.28's C code,
 * the largest cost of download + verify on a host (scripts/bench/firmware-ota.bench.ts). They keep
 * their state in the caller's context and allocate nothing (the EVP interface of OpenSSL 3 would
 * fetch a provider onto the heap), which is why this file uses them although OpenSSL 3 marks them
 * deprecated. ECDSA verification and the device key + CSR are components/fleet_mbedtls, shared with
 * the ESP-IDF port. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "fleet/port/crypto.h"

_Static_assert(sizeof(SHA256_CTX) <= FLEET_CONFIG_SHA256_CTX_SIZE,
               "FLEET_CONFIG_SHA256_CTX_SIZE too small for SHA256_CTX");

static SHA256_CTX *prv_sha(struct fleet_sha256 *ctx) {
  return (SHA256_CTX *)(void *)ctx->storage.bytes;
}

enum fleet_status fleet_port_crypto_sha256_start(struct fleet_sha256 *ctx) {
  return SHA256_Init(prv_sha(ctx)) == 1 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}

enum fleet_status fleet_port_crypto_sha256_update(struct fleet_sha256 *ctx, const uint8_t *data,
                                                  size_t len) {
  return SHA256_Update(prv_sha(ctx), data, len) == 1 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}

enum fleet_status fleet_port_crypto_sha256_finish(struct fleet_sha256 *ctx, uint8_t digest[32]) {
  return SHA256_Final(digest, prv_sha(ctx)) == 1 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}
