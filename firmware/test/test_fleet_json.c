#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fleet/json.h"

static struct fleet_json_token s_tokens[64];
static struct fleet_json s_doc;

static int prv_setup(void **state) {
  (void)state;
  memset(s_tokens, 0xA5, sizeof(s_tokens)); /* sentinel: tests see only what parse wrote */
  memset(&s_doc, 0xA5, sizeof(s_doc));
  return 0;
}

static enum fleet_status prv_parse(const char *text, size_t *err) {
  return fleet_json_parse(&s_doc, text, strlen(text), s_tokens, 64, err);
}

/* The notify-next example shape from the AWS IoT Jobs MQTT API docs. */
static const char kNotify[] =
    "{\"timestamp\":1476214217017,\"execution\":{\"jobId\":\"ota-1\",\"status\":\"QUEUED\","
    "\"versionNumber\":1,\"executionNumber\":1,\"jobDocument\":{\"url\":\"https://x/"
    "y?a=1\\u0026b=2\","
    "\"list\":[1,2,{\"k\":null}],\"ok\":true}}}";

static void test_fleet_json_find_returns_nested_members(void **state) {
  (void)state;
  assert_int_equal(prv_parse(kNotify, NULL), FLEET_OK);
  assert_true(
      fleet_json_string_equals(&s_doc, fleet_json_find(&s_doc, 0, "execution.jobId"), "ota-1"));
  uint64_t v = 0;
  assert_int_equal(fleet_json_get_u64(&s_doc, fleet_json_find(&s_doc, 0, "timestamp"), &v),
                   FLEET_OK);
  assert_true(v == 1476214217017ull);
  assert_int_equal(fleet_json_find(&s_doc, 0, "execution.jobDocument.missing"), -1);
  assert_int_equal(fleet_json_find(&s_doc, 0, "execution.jobId.deeper"), -1);
  int ok = fleet_json_find(&s_doc, 0, "execution.jobDocument.ok");
  assert_true(ok > 0);
  assert_int_equal(s_doc.tokens[ok].type, FLEET_JSON_BOOL);
}

static void test_fleet_json_get_string_decodes_escapes(void **state) {
  (void)state;
  assert_int_equal(prv_parse(kNotify, NULL), FLEET_OK);
  char url[64];
  size_t len = 0;
  assert_int_equal(
      fleet_json_get_string(&s_doc, fleet_json_find(&s_doc, 0, "execution.jobDocument.url"), url,
                            sizeof(url), &len),
      FLEET_OK);
  assert_string_equal(url, "https://x/y?a=1&b=2");
  assert_int_equal(len, strlen("https://x/y?a=1&b=2"));
  assert_int_equal(prv_parse("\"\\u00e9\\n\\\"\"", NULL), FLEET_OK);
  assert_int_equal(fleet_json_get_string(&s_doc, 0, url, sizeof(url), NULL), FLEET_OK);
  assert_string_equal(url, "\xc3\xa9\n\"");
}

static void test_fleet_json_get_string_fails_when_buffer_too_small(void **state) {
  (void)state;
  assert_int_equal(prv_parse("\"abcdef\"", NULL), FLEET_OK);
  char out[6];
  assert_int_equal(fleet_json_get_string(&s_doc, 0, out, sizeof(out), NULL),
                   FLEET_ERR_BUFFER_TOO_SMALL);
  char fits[7];
  assert_int_equal(fleet_json_get_string(&s_doc, 0, fits, sizeof(fits), NULL), FLEET_OK);
}

static void test_fleet_json_parse_fails_with_offset_for_invalid_text(void **state) {
  (void)state;
  struct {
    const char *text;
    size_t offset;
  } cases[] = {
      {"{\"a\":1,}", 7}, {"{\"a\" 1}", 5}, {"[1 2]", 3},   {"\"abc", 4}, {"{\"a\":01}", 6},
      {"tru", 0},        {"{} x", 3},      {"\"\\x\"", 2}, {"[1.]", 3},  {"", 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t err = 999;
    assert_int_equal(prv_parse(cases[i].text, &err), FLEET_ERR_PARSE);
    assert_int_equal(err, cases[i].offset);
  }
}

static void test_fleet_json_parse_fails_when_nesting_too_deep(void **state) {
  (void)state;
  char deep[2 * FLEET_JSON_MAX_DEPTH + 3];
  size_t n = FLEET_JSON_MAX_DEPTH + 1;
  memset(deep, '[', n);
  memset(deep + n, ']', n);
  deep[2 * n] = '\0';
  assert_int_equal(prv_parse(deep, NULL), FLEET_ERR_PARSE);
}

static void test_fleet_json_parse_fails_when_tokens_run_out(void **state) {
  (void)state;
  struct fleet_json_token few[3];
  const char *text = "[1,2,3]";
  assert_int_equal(fleet_json_parse(&s_doc, text, strlen(text), few, 3, NULL),
                   FLEET_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(fleet_json_parse(&s_doc, text, strlen(text), s_tokens, 4, NULL), FLEET_OK);
}

static void test_fleet_json_get_u64_fails_for_negative_fraction_or_overflow(void **state) {
  (void)state;
  assert_int_equal(prv_parse("[-1,1.5,18446744073709551616,18446744073709551615]", NULL), FLEET_OK);
  uint64_t v = 0;
  assert_int_equal(fleet_json_get_u64(&s_doc, 1, &v), FLEET_ERR_PARSE);
  assert_int_equal(fleet_json_get_u64(&s_doc, 2, &v), FLEET_ERR_PARSE);
  assert_int_equal(fleet_json_get_u64(&s_doc, 3, &v), FLEET_ERR_PARSE);
  assert_int_equal(fleet_json_get_u64(&s_doc, 4, &v), FLEET_OK);
  assert_true(v == UINT64_MAX);
  assert_int_equal(fleet_json_get_u64(&s_doc, -1, &v), FLEET_ERR_NOT_FOUND);
}

static void test_fleet_json_writer_escapes_and_reports_overflow(void **state) {
  (void)state;
  char buf[64];
  struct fleet_json_writer w;
  fleet_json_writer_init(&w, buf, sizeof(buf));
  fleet_json_write_raw(&w, "{\"r\":");
  fleet_json_write_string(&w, "a\"b\\c\n\x01", 7);
  fleet_json_write_raw(&w, ",\"n\":");
  fleet_json_write_u64(&w, 1234567890123ull);
  fleet_json_write_raw(&w, "}");
  assert_int_equal(fleet_json_writer_finish(&w), FLEET_OK);
  assert_string_equal(buf, "{\"r\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":1234567890123}");
  /* what we write, we can read back */
  assert_int_equal(prv_parse(buf, NULL), FLEET_OK);
  char small[8];
  fleet_json_writer_init(&w, small, sizeof(small));
  fleet_json_write_string(&w, "too long for it", 15);
  assert_int_equal(fleet_json_writer_finish(&w), FLEET_ERR_BUFFER_TOO_SMALL);
  assert_true(strlen(small) < sizeof(small));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fleet_json_find_returns_nested_members, prv_setup),
      cmocka_unit_test_setup(test_fleet_json_get_string_decodes_escapes, prv_setup),
      cmocka_unit_test_setup(test_fleet_json_get_string_fails_when_buffer_too_small, prv_setup),
      cmocka_unit_test_setup(test_fleet_json_parse_fails_with_offset_for_invalid_text, prv_setup),
      cmocka_unit_test_setup(test_fleet_json_parse_fails_when_nesting_too_deep, prv_setup),
      cmocka_unit_test_setup(test_fleet_json_parse_fails_when_tokens_run_out, prv_setup),
      cmocka_unit_test_setup(test_fleet_json_get_u64_fails_for_negative_fraction_or_overflow,
                             prv_setup),
      cmocka_unit_test_setup(test_fleet_json_writer_escapes_and_reports_overflow, prv_setup),
  };
  return cmocka_run_group_tests_name("fleet_json", tests, NULL, NULL);
}
