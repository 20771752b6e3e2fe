#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fleet/job_document.h"

/* A document in the shape buildJobDocument() in ota/job-document.ts writes (schema version 1),
 * with the presigned URL substituted as the device receives it. */
static const char kDocument[] =
    "{\"firmware\":{\"chip\":\"esp32\",\"descriptorVersion\":\"1cd5752\",\"keyId\":\"fleet-dev-1\","
    "\"secureVersion\":0,\"sha256\":"
    "\"6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1\","
    "\"signature\":\"MEUCIQCdz7uV3n0m4Y4nP0e8QeQq0gq1m4k8ZxV0XjY9bqk1nQIgLk6pX0j4kJm9Qm8n3Q2v6x1Z"
    "k5mH0cQ0f1Yb2q8rT3s=\",\"signatureAlgorithm\":\"sig-sha256-ecdsa\",\"size\":601808,"
    "\"url\":\"https://s3.eu-west-1.amazonaws.com/bucket/key?X-Amz-Signature=ab\\u0026x=1\","
    "\"version\":\"1.4.0\"},\"operation\":\"ota\",\"releaseId\":\"v1_4_0-3f9a0c1d2e4b5a69\","
    "\"version\":1}";

static struct fleet_json_token s_tokens[96];
static struct fleet_json s_doc;
static struct fleet_job_document s_out;
static char s_text[4096];

static int prv_setup(void **state) {
  (void)state;
  memset(&s_out, 0xA5, sizeof(s_out));
  return 0;
}

static enum fleet_status prv_parse(const char *text, const char **field) {
  assert_int_equal(fleet_json_parse(&s_doc, text, strlen(text), s_tokens, 96, NULL), FLEET_OK);
  return fleet_job_document_parse(&s_doc, 0, &s_out, field);
}

/* kDocument with the first occurrence of @p from replaced by @p to. */
static const char *prv_with(const char *from, const char *to) {
  const char *at = strstr(kDocument, from);
  assert_non_null(at);
  snprintf(s_text, sizeof(s_text), "%.*s%s%s", (int)(at - kDocument), kDocument, to,
           at + strlen(from));
  return s_text;
}

static void test_fleet_job_document_parse_reads_every_field(void **state) {
  (void)state;
  const char *field = "sentinel";
  assert_int_equal(prv_parse(kDocument, &field), FLEET_OK);
  assert_null(field);
  assert_string_equal(s_out.release_id, "v1_4_0-3f9a0c1d2e4b5a69");
  assert_string_equal(s_out.version, "1.4.0");
  assert_string_equal(s_out.descriptor_version, "1cd5752");
  assert_int_equal(s_out.secure_version, 0);
  assert_int_equal(s_out.chip_id, 0x0000);
  assert_int_equal(s_out.size, 601808);
  assert_int_equal(s_out.sha256[0], 0x68);
  assert_int_equal(s_out.sha256[31], 0xb1);
  assert_string_equal(s_out.url,
                      "https://s3.eu-west-1.amazonaws.com/bucket/key?X-Amz-Signature=ab&x=1");
  assert_int_equal(s_out.signature_len, 71);
  assert_int_equal(s_out.signature[0], 0x30);
  assert_string_equal(s_out.key_id, "fleet-dev-1");
}

static void test_fleet_job_document_parse_fails_naming_the_field(void **state) {
  (void)state;
  struct {
    const char *from;
    const char *to;
    const char *field;
  } cases[] = {
      {"\"version\":1}", "\"version\":2}", "version"},
      {"\"operation\":\"ota\"", "\"operation\":\"reboot\"", "operation"},
      {"\"chip\":\"esp32\"", "\"chip\":\"esp8266\"", "firmware.chip"},
      {"\"size\":601808", "\"size\":0", "firmware.size"},
      {"\"size\":601808", "\"size\":4294967296", "firmware.size"},
      {"\"sha256\":\"68", "\"sha256\":\"6", "firmware.sha256"},
      {"\"sha256\":\"68", "\"sha256\":\"6G", "firmware.sha256"},
      {"\"url\":\"https:", "\"url\":\"${aws:iot:s3-presigned-url-v2:https:", "firmware.url"},
      {"sig-sha256-ecdsa", "sig-sha256-rsa", "firmware.signatureAlgorithm"},
      {"\"signature\":\"MEUC", "\"signature\":\"!EUC", "firmware.signature"},
      {"\"descriptorVersion\":\"1cd5752\"", "\"descriptorVersion\":\"\"",
       "firmware.descriptorVersion"},
      {"\"keyId\":\"fleet-dev-1\",", "", "firmware.keyId"},
      {"\"secureVersion\":0", "\"secureVersion\":-1", "firmware.secureVersion"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *field = NULL;
    assert_int_equal(prv_parse(prv_with(cases[i].from, cases[i].to), &field),
                     FLEET_ERR_JOB_DOCUMENT);
    assert_non_null(field);
    assert_string_equal(field, cases[i].field);
  }
}

static void test_fleet_job_document_parse_ignores_unknown_fields(void **state) {
  (void)state;
  assert_int_equal(
      prv_parse(prv_with("\"operation\"", "\"future\":{\"x\":[1]},\"operation\""), NULL), FLEET_OK);
}

static void test_fleet_base64_decode_reads_rfc4648_vectors(void **state) {
  (void)state;
  /* RFC 4648 section 10 test vectors. */
  const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  const char *dec[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  for (size_t i = 0; i < 7; i++) {
    uint8_t out[8];
    size_t n = 99;
    assert_int_equal(fleet_base64_decode(enc[i], strlen(enc[i]), out, sizeof(out), &n), FLEET_OK);
    assert_int_equal(n, strlen(dec[i]));
    assert_memory_equal(out, dec[i], n);
  }
  uint8_t out[8];
  size_t n = 0;
  assert_int_equal(fleet_base64_decode("Zg=a", 4, out, sizeof(out), &n), FLEET_ERR_PARSE);
  assert_int_equal(fleet_base64_decode("Zm9", 3, out, sizeof(out), &n), FLEET_ERR_PARSE);
  assert_int_equal(fleet_base64_decode("Zm9vYmFy", 8, out, 5, &n), FLEET_ERR_BUFFER_TOO_SMALL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fleet_job_document_parse_reads_every_field, prv_setup),
      cmocka_unit_test_setup(test_fleet_job_document_parse_fails_naming_the_field, prv_setup),
      cmocka_unit_test_setup(test_fleet_job_document_parse_ignores_unknown_fields, prv_setup),
      cmocka_unit_test_setup(test_fleet_base64_decode_reads_rfc4648_vectors, prv_setup),
  };
  return cmocka_run_group_tests_name("fleet_job_document", tests, NULL, NULL);
}
