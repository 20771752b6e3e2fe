/* Crypto port over ESP-IDF's mbedTLS 3 (SHA-256 uses the hardware accelerator when enabled). */
#include <stdio.h>
#include <string.h>

#include "fleet/port/crypto.h"
#include "fleet/port/log.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/sha256.h"
#include "mbedtls/x509_csr.h"

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

enum fleet_status fleet_port_crypto_ecdsa_p256_verify(const char *public_key_pem,
                                                      const uint8_t digest[32],
                                                      const uint8_t *signature_der,
                                                      size_t signature_len) {
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  enum fleet_status status = FLEET_ERR_INVALID_ARG;
  if (mbedtls_pk_parse_public_key(&pk, (const unsigned char *)public_key_pem,
                                  strlen(public_key_pem) + 1) == 0 &&
      mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY) &&
      mbedtls_pk_ec(pk)->MBEDTLS_PRIVATE(grp).id == MBEDTLS_ECP_DP_SECP256R1) {
    status =
        mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, 32, signature_der, signature_len) == 0
            ? FLEET_OK
            : FLEET_ERR_IMAGE_SIGNATURE;
  }
  mbedtls_pk_free(&pk);
  return status;
}

enum fleet_status fleet_port_crypto_generate_key_and_csr(const char *common_name, char *key_pem,
                                                         size_t key_pem_size, char *csr_pem,
                                                         size_t csr_pem_size) {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_pk_context pk;
  mbedtls_x509write_csr csr;
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_pk_init(&pk);
  mbedtls_x509write_csr_init(&csr);
  char subject[FLEET_SERIAL_MAX_LENGTH + 8];
  snprintf(subject, sizeof(subject), "CN=%s", common_name);
  int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
  if (rc == 0)
    rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) {
    rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random,
                             &drbg);
  }
  if (rc == 0)
    rc = mbedtls_pk_write_key_pem(&pk, (unsigned char *)key_pem, key_pem_size);
  if (rc == 0) {
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&csr, &pk);
    rc = mbedtls_x509write_csr_set_subject_name(&csr, subject);
  }
  if (rc == 0) {
    rc = mbedtls_x509write_csr_pem(&csr, (unsigned char *)csr_pem, csr_pem_size,
                                   mbedtls_ctr_drbg_random, &drbg);
  }
  if (rc != 0) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, "fleet_crypto", "key/CSR generation: mbedTLS -0x%04x",
                   (unsigned)-rc);
  }
  mbedtls_x509write_csr_free(&csr);
  mbedtls_pk_free(&pk);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  return rc == 0 ? FLEET_OK : FLEET_ERR_PLATFORM_BASE;
}
