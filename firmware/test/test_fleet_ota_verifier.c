#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "fleet/ota_verifier.h"
#include "test_signer.h"

/* esp32-app-template.bin, file SHA-256 from shared/fixtures/esp32/README.md. */
static const uint8_t kTemplateSha256[32] = {
    0x68, 0x15, 0x28, 0x2e, 0x07, 0x0a, 0x80, 0x14, 0x1d, 0x19, 0x22, 0xb8, 0x7a, 0xaa, 0xeb, 0xa2,
    0xb1, 0xb5, 0xee, 0x84, 0x84, 0x00, 0x61, 0x9e, 0xda, 0xf5, 0x52, 0xa7, 0xc0, 0x0c, 0xea, 0xb1};

struct prv_fixture {
  uint8_t *image;
  size_t len;
  char public_pem[256];
  uint8_t sig[128];
  size_t sig_len;
  struct fleet_ota_expectation expect;
  struct fleet_ota_verifier verifier;
};

static struct prv_fixture s_f;

static void prv_sign(void) {
  s_f.sig_len = sizeof(s_f.sig);
  test_signer_sign(s_f.image, s_f.len, s_f.public_pem, sizeof(s_f.public_pem), s_f.sig,
                   &s_f.sig_len);
}

static int prv_setup(void **state) {
  (void)state;
  memset(&s_f, 0, sizeof(s_f));
  memset(&s_f.verifier, 0xA5, sizeof(s_f.verifier));
  s_f.image = fixture_read("esp32-app-template.bin", &s_f.len);
  prv_sign();
  s_f.expect = (struct fleet_ota_expectation){
      .size = s_f.len,
      .sha256 = kTemplateSha256,
      .signature_der = s_f.sig,
      .signature_len = s_f.sig_len,
      .public_key_pem = s_f.public_pem,
      .declared_version = "1.2.0",
      .chip_id = 0x0000,
      .running_version = "1.1.0",
  };
  return 0;
}

static int prv_teardown(void **state) {
  (void)state;
  free(s_f.image);
  return 0;
}

/* Feed the image in 4 KB pieces as the OTA writer does; returns the first non-OK status. */
static enum fleet_status prv_stream(const uint8_t *data, size_t len) {
  enum fleet_status status = fleet_ota_verifier_begin(&s_f.verifier, &s_f.expect);
  if (status != FLEET_OK)
    return status;
  for (size_t off = 0; off < len; off += 4096) {
    size_t n = len - off < 4096 ? len - off : 4096;
    status = fleet_ota_verifier_update(&s_f.verifier, data + off, n);
    if (status != FLEET_OK)
      return status;
  }
  return fleet_ota_verifier_finish(&s_f.verifier, NULL);
}

static void test_fleet_ota_verifier_finish_succeeds_for_signed_fixture(void **state) {
  (void)state;
  uint8_t digest[32];
  assert_int_equal(fleet_ota_verifier_begin(&s_f.verifier, &s_f.expect), FLEET_OK);
  /* odd-sized pieces: the prefix check must not depend on where the pieces end */
  for (size_t off = 0; off < s_f.len; off += 97) {
    size_t n = s_f.len - off < 97 ? s_f.len - off : 97;
    assert_int_equal(fleet_ota_verifier_update(&s_f.verifier, s_f.image + off, n), FLEET_OK);
  }
  assert_int_equal(fleet_ota_verifier_finish(&s_f.verifier, digest), FLEET_OK);
  assert_memory_equal(digest, kTemplateSha256, 32);
  assert_string_equal(s_f.verifier.info.project_name, "app-template");
}

static void test_fleet_ota_verifier_finish_fails_hash_when_one_byte_flipped(void **state) {
  (void)state;
  size_t positions[] = {0x200, 0x20010, s_f.len - 1};
  for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
    s_f.image[positions[i]] ^= 0x01;
    assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_IMAGE_HASH);
    s_f.image[positions[i]] ^= 0x01;
  }
}

static void test_fleet_ota_verifier_finish_fails_signature_when_flipped_without_hash(void **state) {
  (void)state;
  s_f.expect.sha256 = NULL; /* the signature alone must catch it */
  s_f.image[0x30000] ^= 0x80;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_IMAGE_SIGNATURE);
  s_f.image[0x30000] ^= 0x80;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_OK);
}

static void test_fleet_ota_verifier_finish_fails_signature_from_another_key(void **state) {
  (void)state;
  char other_pem[256];
  uint8_t other_sig[128];
  size_t other_len = sizeof(other_sig);
  test_signer_sign(s_f.image, s_f.len, other_pem, sizeof(other_pem), other_sig, &other_len);
  s_f.expect.signature_der = other_sig;
  s_f.expect.signature_len = other_len;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_IMAGE_SIGNATURE);
  s_f.sig[s_f.sig_len - 1] ^= 0x01; /* a damaged DER signature is just as invalid */
  s_f.expect.signature_der = s_f.sig;
  s_f.expect.signature_len = s_f.sig_len;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_IMAGE_SIGNATURE);
}

static void test_fleet_ota_verifier_fails_size_when_truncated_or_longer(void **state) {
  (void)state;
  assert_int_equal(prv_stream(s_f.image, s_f.len - 1), FLEET_ERR_IMAGE_SIZE);
  s_f.expect.size = s_f.len - 4096;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_IMAGE_TOO_LARGE);
  assert_true(s_f.verifier.received == s_f.len - 4096 - (s_f.len - 4096) % 4096);
}

static void test_fleet_ota_verifier_update_fails_early_for_wrong_chip(void **state) {
  (void)state;
  s_f.expect.chip_id = 0x0005; /* an ESP32-C3 gets an ESP32 image */
  assert_int_equal(fleet_ota_verifier_begin(&s_f.verifier, &s_f.expect), FLEET_OK);
  assert_int_equal(fleet_ota_verifier_update(&s_f.verifier, s_f.image, 4096),
                   FLEET_ERR_IMAGE_WRONG_CHIP);
  assert_int_equal(fleet_ota_verifier_update(&s_f.verifier, s_f.image + 4096, 4096),
                   FLEET_ERR_IMAGE_WRONG_CHIP);
}

static void test_fleet_ota_verifier_update_fails_early_when_version_not_newer(void **state) {
  (void)state;
  s_f.expect.running_version = "1.2.0";
  assert_int_equal(fleet_ota_verifier_begin(&s_f.verifier, &s_f.expect), FLEET_OK);
  assert_int_equal(fleet_ota_verifier_update(&s_f.verifier, s_f.image, 4096),
                   FLEET_ERR_VERSION_NOT_NEWER);
}

static void test_fleet_ota_verifier_update_fails_for_lower_secure_version(void **state) {
  (void)state;
  s_f.expect.running_secure_version = 1; /* the fixture's descriptor says 0 */
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_SECURE_VERSION);
  s_f.expect.running_secure_version = 0;
  s_f.expect.secure_version_floor = 1;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_SECURE_VERSION);
}

static void test_fleet_ota_verifier_update_fails_when_descriptor_version_differs(void **state) {
  (void)state;
  memset(s_f.image + 0x30, 0, 32);
  memcpy(s_f.image + 0x30, "1.3.0", 5); /* a semver descriptor must match the job */
  prv_sign();
  s_f.expect.sha256 = NULL;
  s_f.expect.signature_len = s_f.sig_len;
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_ERR_VERSION_MISMATCH);
  s_f.expect.declared_version = "1.3.0";
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_OK);
  s_f.expect.declared_version = NULL; /* no job version: the descriptor's is used */
  assert_int_equal(prv_stream(s_f.image, s_f.len), FLEET_OK);
}

static void test_fleet_ota_verifier_update_fails_for_bootloader_image(void **state) {
  (void)state;
  size_t len = 0;
  uint8_t *boot = fixture_read("bootloader_esp32.bin", &len);
  s_f.expect.size = len;
  assert_int_equal(prv_stream(boot, len), FLEET_ERR_IMAGE_NOT_APP);
  free(boot);
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, prv_setup, prv_teardown)
  const struct CMUnitTest tests[] = {
      T(test_fleet_ota_verifier_finish_succeeds_for_signed_fixture),
      T(test_fleet_ota_verifier_finish_fails_hash_when_one_byte_flipped),
      T(test_fleet_ota_verifier_finish_fails_signature_when_flipped_without_hash),
      T(test_fleet_ota_verifier_finish_fails_signature_from_another_key),
      T(test_fleet_ota_verifier_fails_size_when_truncated_or_longer),
      T(test_fleet_ota_verifier_update_fails_early_for_wrong_chip),
      T(test_fleet_ota_verifier_update_fails_early_when_version_not_newer),
      T(test_fleet_ota_verifier_update_fails_for_lower_secure_version),
      T(test_fleet_ota_verifier_update_fails_when_descriptor_version_differs),
      T(test_fleet_ota_verifier_update_fails_for_bootloader_image),
  };
#undef T
  return cmocka_run_group_tests_name("fleet_ota_verifier", tests, NULL, NULL);
}
