#include "fleet_ota_bench_phases.h"

#include <time.h>

#include "fleet/port/crypto.h"
#include "fleet/port/ota.h"
#include "fleet/port/storage.h"

enum { PRV_SHA256, PRV_ECDSA, PRV_FLASH_WRITE, PRV_FLASH_FLUSH, PRV_OTADATA, PRV_RECORDS, PRV_N };

static const char *const kNames[PRV_N] = {"sha256",      "ecdsa_verify", "flash_write",
                                          "flash_flush", "otadata",      "records"};
static double s_seconds[PRV_N];

static double prv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define PRV_TIMED(phase, call)           \
  do {                                   \
    double t0_ = prv_now();              \
    enum fleet_status status_ = (call);  \
    s_seconds[phase] += prv_now() - t0_; \
    return status_;                      \
  } while (0)

enum fleet_status __real_fleet_port_crypto_sha256_update(struct fleet_sha256 *ctx,
                                                         const uint8_t *data, size_t len);
enum fleet_status __wrap_fleet_port_crypto_sha256_update(struct fleet_sha256 *ctx,
                                                         const uint8_t *data, size_t len);
enum fleet_status __wrap_fleet_port_crypto_sha256_update(struct fleet_sha256 *ctx,
                                                         const uint8_t *data, size_t len) {
  PRV_TIMED(PRV_SHA256, __real_fleet_port_crypto_sha256_update(ctx, data, len));
}

enum fleet_status __real_fleet_port_crypto_ecdsa_p256_verify(const char *pem,
                                                             const uint8_t digest[32],
                                                             const uint8_t *sig, size_t len);
enum fleet_status __wrap_fleet_port_crypto_ecdsa_p256_verify(const char *pem,
                                                             const uint8_t digest[32],
                                                             const uint8_t *sig, size_t len);
enum fleet_status __wrap_fleet_port_crypto_ecdsa_p256_verify(const char *pem,
                                                             const uint8_t digest[32],
                                                             const uint8_t *sig, size_t len) {
  PRV_TIMED(PRV_ECDSA, __real_fleet_port_crypto_ecdsa_p256_verify(pem, digest, sig, len));
}

enum fleet_status __real_fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                              size_t len);
enum fleet_status __wrap_fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                              size_t len);
enum fleet_status __wrap_fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                              size_t len) {
  PRV_TIMED(PRV_FLASH_WRITE, __real_fleet_port_ota_write(slot, offset, data, len));
}

enum fleet_status __real_fleet_port_ota_flush(uint8_t slot);
enum fleet_status __wrap_fleet_port_ota_flush(uint8_t slot);
enum fleet_status __wrap_fleet_port_ota_flush(uint8_t slot) {
  PRV_TIMED(PRV_FLASH_FLUSH, __real_fleet_port_ota_flush(slot));
}

enum fleet_status __real_fleet_port_ota_set_boot_slot(uint8_t slot);
enum fleet_status __wrap_fleet_port_ota_set_boot_slot(uint8_t slot);
enum fleet_status __wrap_fleet_port_ota_set_boot_slot(uint8_t slot) {
  PRV_TIMED(PRV_OTADATA, __real_fleet_port_ota_set_boot_slot(slot));
}

enum fleet_status __real_fleet_port_storage_write(const char *key, const void *data, size_t len);
enum fleet_status __wrap_fleet_port_storage_write(const char *key, const void *data, size_t len);
enum fleet_status __wrap_fleet_port_storage_write(const char *key, const void *data, size_t len) {
  PRV_TIMED(PRV_RECORDS, __real_fleet_port_storage_write(key, data, len));
}

void fleet_ota_bench_phases_print(FILE *out) {
  for (int i = 0; i < PRV_N; i++)
    fprintf(out, "%s\"%s\":%.6f", i == 0 ? "" : ",", kNames[i], s_seconds[i]);
}
