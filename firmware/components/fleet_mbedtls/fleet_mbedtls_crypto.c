/* The crypto port's mbedTLS half, shared by both ports: ECDSA P-256 verification of the release
 * signature, and the device's EC P-256 key with its CSR. Compiles against Debian's mbedTLS 2.28
 * (POSIX port) and ESP-IDF's mbedTLS 3 (ESP-IDF port); the only API difference it meets is that
 * 3.x hides the key pair's group behind MBEDTLS_PRIVATE. SHA-256 stays in each port: the ESP32
 * hashes with its accelerator through mbedTLS, the host with its CPU's SHA extensions. */
#include <stdio.h>
#include <string.h>

#include "fleet/port/crypto.h"
#include "fleet/port/log.h"
#include "mbedtls/base64.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/version.h"
#include "mbedtls/x509_csr.h"

#if MBEDTLS_VERSION_MAJOR >= 3
#define PRV_GROUP_ID(keypair) ((keypair)->MBEDTLS_PRIVATE(grp).id)
#else
#define PRV_GROUP_ID(keypair) ((keypair)->grp.id)
#endif

#define PRV_TAG "fleet_crypto"

static enum fleet_status prv_mbedtls_error(const char *what, int rc) {
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "%s failed: mbedTLS -0x%04x", what, (unsigned)-rc);
  return FLEET_ERR_PLATFORM_BASE;
}

enum fleet_status fleet_port_crypto_ecdsa_p256_verify(const char *public_key_pem,
                                                      const uint8_t digest[32],
                                                      const uint8_t *signature_der,
                                                      size_t signature_len) {
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  enum fleet_status status = FLEET_OK;
  int rc = mbedtls_pk_parse_public_key(&pk, (const unsigned char *)public_key_pem,
                                       strlen(public_key_pem) + 1);
  if (rc != 0) {
    (void)prv_mbedtls_error("parse firmware public key", rc);
    status = FLEET_ERR_INVALID_ARG;
  } else if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY) ||
             PRV_GROUP_ID(mbedtls_pk_ec(pk)) != MBEDTLS_ECP_DP_SECP256R1) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "firmware public key is not EC P-256");
    status = FLEET_ERR_INVALID_ARG;
  } else {
    rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, 32, signature_der, signature_len);
    status = rc == 0 ? FLEET_OK : FLEET_ERR_IMAGE_SIGNATURE;
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
  enum fleet_status status = FLEET_OK;
  char subject[FLEET_SERIAL_MAX_LENGTH + 8];
  static const unsigned char kPersonalization[] = "fleet-device-key";
  int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, kPersonalization,
                                 sizeof(kPersonalization) - 1);
  if (rc != 0) {
    status = prv_mbedtls_error("ctr_drbg_seed", rc);
    goto out;
  }
  if ((rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
      (rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
                                mbedtls_ctr_drbg_random, &drbg)) != 0) {
    status = prv_mbedtls_error("generate EC P-256 key", rc);
    goto out;
  }
  if ((rc = mbedtls_pk_write_key_pem(&pk, (unsigned char *)key_pem, key_pem_size)) != 0) {
    status = rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL ? FLEET_ERR_BUFFER_TOO_SMALL
                                                       : prv_mbedtls_error("write key PEM", rc);
    goto out;
  }
  if ((size_t)snprintf(subject, sizeof(subject), "CN=%s", common_name) >= sizeof(subject)) {
    status = FLEET_ERR_BUFFER_TOO_SMALL;
    goto out;
  }
  mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
  mbedtls_x509write_csr_set_key(&csr, &pk);
  if ((rc = mbedtls_x509write_csr_set_subject_name(&csr, subject)) != 0 ||
      (rc = mbedtls_x509write_csr_pem(&csr, (unsigned char *)csr_pem, csr_pem_size,
                                      mbedtls_ctr_drbg_random, &drbg)) != 0) {
    status = rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL ? FLEET_ERR_BUFFER_TOO_SMALL
                                                       : prv_mbedtls_error("write CSR", rc);
  }
out:
  mbedtls_x509write_csr_free(&csr);
  mbedtls_pk_free(&pk);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  return status;
}
