/* The POSIX HTTP client's URL split: scheme, host, port and request target, and clear refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fleet_http_url.h"

static struct fleet_http_url prv_parse_ok(const char *url) {
  struct fleet_http_url u;
  const char *why = NULL;
  assert_int_equal(fleet_http_url_parse(url, &u, &why), FLEET_OK);
  return u;
}

static const char *prv_refusal(const char *url) {
  struct fleet_http_url u;
  const char *why = NULL;
  assert_int_equal(fleet_http_url_parse(url, &u, &why), FLEET_ERR_PARSE);
  assert_non_null(why);
  return why;
}

static void test_fleet_http_url_splits_presigned_s3_url(void **state) {
  (void)state;
  const char *url =
      "https://esp32-fleet-dev-firmware.s3.eu-west-1.amazonaws.com/firmware/r1.bin"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab12#frag";
  struct fleet_http_url u = prv_parse_ok(url);
  assert_true(u.tls);
  assert_string_equal(u.host, "esp32-fleet-dev-firmware.s3.eu-west-1.amazonaws.com");
  assert_int_equal(u.port, 443);
  assert_int_equal(u.target_len, strlen("/firmware/r1.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                                        "&X-Amz-Signature=ab12"));
  assert_memory_equal(u.target, "/firmware/r1.bin?", 17);
}

static void test_fleet_http_url_takes_port_ipv6_and_missing_path(void **state) {
  (void)state;
  struct fleet_http_url u = prv_parse_ok("http://127.0.0.1:4566/bucket/key.bin");
  assert_false(u.tls);
  assert_string_equal(u.host, "127.0.0.1");
  assert_int_equal(u.port, 4566);
  assert_int_equal(u.target_len, strlen("/bucket/key.bin"));
  u = prv_parse_ok("http://[::1]:8080/a");
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 8080);
  u = prv_parse_ok("http://example.com");
  assert_int_equal(u.port, 80);
  assert_int_equal(u.target_len, 1);
  assert_memory_equal(u.target, "/", 1);
}

static void test_fleet_http_url_refuses_what_it_cannot_request(void **state) {
  (void)state;
  assert_string_equal(prv_refusal("ftp://host/a"), "scheme is not http:// or https://");
  assert_string_equal(prv_refusal("http://user:pw@host/a"),
                      "userinfo (user@host) is not supported");
  assert_string_equal(prv_refusal("http:///a"), "no host");
  assert_string_equal(prv_refusal("http://host:0/a"), "port is not a number from 1 to 65535");
  assert_string_equal(prv_refusal("http://host:65536/a"), "port is not a number from 1 to 65535");
  assert_string_equal(prv_refusal("http://host:/a"), "empty port");
  assert_string_equal(prv_refusal("http://[::1/a"), "IPv6 address without its closing ']'");
  assert_string_equal(prv_refusal("http://host/a b"),
                      "path or query holds a space, control or non-ASCII character (not "
                      "percent-encoded)");
  char long_host[300] = "http://";
  memset(long_host + 7, 'h', 254);
  strcat(long_host, "/a");
  assert_string_equal(prv_refusal(long_host), "host longer than 253 characters");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fleet_http_url_splits_presigned_s3_url),
      cmocka_unit_test(test_fleet_http_url_takes_port_ipv6_and_missing_path),
      cmocka_unit_test(test_fleet_http_url_refuses_what_it_cannot_request),
  };
  return cmocka_run_group_tests_name("fleet_http_url", tests, NULL, NULL);
}
