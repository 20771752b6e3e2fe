#include "test_signer.h"

#include <stdlib.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/sha256.h"

void test_signer_sign(const uint8_t *data, size_t len, char *public_pem, size_t public_pem_size,
                      uint8_t *sig, size_t *sig_len) {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_pk_context pk;
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_pk_init(&pk);
  uint8_t hash[32];
  if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) != 0 ||
      mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random,
                          &drbg) != 0 ||
      mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)public_pem, public_pem_size) != 0 ||
      mbedtls_sha256_ret(data, len, hash, 0) != 0 ||
      mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, sig_len,
                      mbedtls_ctr_drbg_random, &drbg) != 0) {
    abort();
  }
  mbedtls_pk_free(&pk);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
}
