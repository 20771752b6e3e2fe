#pragma once

#include <stddef.h>
#include <stdint.h>

/**
 * Make a fresh EC P-256 key pair with mbedTLS and sign the SHA-256 of @p data with it (DER), as
 * ota/ signs a release (sig-sha256-ecdsa).
 *
 * @param data Signed bytes.
 * @param len Length.
 * @param public_pem Receives the public key PEM (NUL-terminated).
 * @param public_pem_size Size of @p public_pem.
 * @param sig Receives the DER signature.
 * @param sig_len In: size of @p sig; out: signature length.
 */
void test_signer_sign(const uint8_t *data, size_t len, char *public_pem, size_t public_pem_size,
                      uint8_t *sig, size_t *sig_len);
