/* The POSIX HTTP client's response parser: headers handed on once, the body framed by
 * Content-Length, chunked coding or the end of the connection, fed in pieces of any size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fleet_http_response.h"

static struct fleet_http_response s_r;
static int s_status;
static char s_content_range[128];
static uint64_t s_content_length;
static unsigned s_headers_calls;
static char s_body[8192];
static size_t s_body_len;
static enum fleet_status s_body_result;

static enum fleet_status prv_on_headers(void *ctx, int status, const char *content_range,
                                        uint64_t content_length) {
  (void)ctx;
  s_status = status;
  snprintf(s_content_range, sizeof(s_content_range), "%s",
           content_range != NULL ? content_range : "(none)");
  s_content_length = content_length;
  s_headers_calls++;
  return FLEET_OK;
}

static enum fleet_status prv_on_body(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  assert_true(s_body_len + len <= sizeof(s_body));
  memcpy(s_body + s_body_len, data, len);
  s_body_len += len;
  return s_body_result;
}

static const struct fleet_http_response_handler kHandler = {.on_headers = prv_on_headers,
                                                            .on_body = prv_on_body};

static int prv_setup(void **state) {
  (void)state;
  s_status = 0;
  s_content_range[0] = '\0';
  s_content_length = 0;
  s_headers_calls = 0;
  s_body_len = 0;
  s_body_result = FLEET_OK;
  fleet_http_response_init(&s_r, &kHandler);
  return 0;
}

/* Feed @p text in pieces of @p piece bytes; returns the first non-OK status. */
static enum fleet_status prv_feed(const char *text, size_t piece) {
  size_t len = strlen(text);
  for (size_t pos = 0; pos < len; pos += piece) {
    size_t n = len - pos < piece ? len - pos : piece;
    size_t consumed = 0;
    enum fleet_status status =
        fleet_http_response_feed(&s_r, (const uint8_t *)text + pos, n, &consumed);
    if (status != FLEET_OK)
      return status;
    if (consumed < n)
      break; /* the response ended */
  }
  return FLEET_OK;
}

static void test_fleet_http_response_content_length_in_any_pieces(void **state) {
  (void)state;
  static const char kResponse[] =
      "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
      "content-range: bytes 65536-65545/65546 \r\nContent-Length: 10\r\n\r\n0123456789TRAILING";
  for (size_t piece = 1; piece <= sizeof(kResponse); piece += 7) {
    prv_setup(NULL);
    assert_int_equal(prv_feed(kResponse, piece), FLEET_OK);
    assert_true(fleet_http_response_complete(&s_r));
    assert_int_equal(s_headers_calls, 1);
    assert_int_equal(s_status, 206);
    assert_string_equal(s_content_range, "bytes 65536-65545/65546");
    assert_true(s_content_length == 10);
    assert_int_equal(s_body_len, 10);
    assert_memory_equal(s_body, "0123456789", 10); /* bytes after the body are not the body's */
  }
}

static void test_fleet_http_response_chunked_with_extensions_and_trailers(void **state) {
  (void)state;
  static const char kResponse[] =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (size_t piece = 1; piece <= 16; piece++) {
    prv_setup(NULL);
    assert_int_equal(prv_feed(kResponse, piece), FLEET_OK);
    assert_true(fleet_http_response_complete(&s_r));
    assert_int_equal(s_status, 200);
    assert_string_equal(s_content_range, "(none)");
    assert_true(s_content_length == UINT64_MAX);
    assert_int_equal(s_body_len, 23);
    assert_memory_equal(s_body, "Wikipedia in\r\n\r\nchunks.", 23);
  }
}

static void test_fleet_http_response_skips_interim_and_reads_until_close(void **state) {
  (void)state;
  assert_int_equal(prv_feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\nServer: x\n\nbody", 5),
                   FLEET_OK);
  assert_int_equal(s_headers_calls, 1);
  assert_false(fleet_http_response_complete(&s_r));
  assert_int_equal(fleet_http_response_end(&s_r), FLEET_OK);
  assert_int_equal(s_body_len, 4);
}

static void test_fleet_http_response_error_status_still_reaches_the_handler(void **state) {
  (void)state;
  assert_int_equal(prv_feed("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope.", 64),
                   FLEET_OK);
  assert_int_equal(s_status, 403);
  assert_true(fleet_http_response_complete(&s_r));
}

static void test_fleet_http_response_cut_short_is_a_network_error(void **state) {
  (void)state;
  assert_int_equal(prv_feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", 64), FLEET_OK);
  assert_int_equal(fleet_http_response_end(&s_r), FLEET_ERR_NETWORK);
  assert_string_equal(s_r.why, "connection closed before Content-Length bytes of body");
  prv_setup(NULL);
  assert_int_equal(prv_feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 64),
                   FLEET_OK);
  assert_int_equal(fleet_http_response_end(&s_r), FLEET_ERR_NETWORK);
  assert_string_equal(s_r.why, "connection closed inside the chunked body");
  prv_setup(NULL);
  assert_int_equal(prv_feed("HTTP/1.1 200 OK\r\nContent-Le", 64), FLEET_OK);
  assert_int_equal(fleet_http_response_end(&s_r), FLEET_ERR_NETWORK);
  assert_string_equal(s_r.why, "connection closed before the end of the headers");
}

static void prv_assert_malformed(const char *response, const char *why) {
  prv_setup(NULL);
  assert_int_equal(prv_feed(response, 3), FLEET_ERR_PARSE);
  assert_string_equal(s_r.why, why);
}

static void test_fleet_http_response_refuses_malformed_responses(void **state) {
  (void)state;
  prv_assert_malformed("ICY 200 OK\r\n\r\n",
                       "status line is not \"HTTP/1.x <3-digit code> <reason>\"");
  prv_assert_malformed("HTTP/1.1 2x0 OK\r\n\r\n", "status code is not 3 digits from 100");
  prv_assert_malformed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line without \"name:\"");
  prv_assert_malformed("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
                       "Content-Length is not a decimal number");
  prv_assert_malformed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                       "two different Content-Length headers");
  prv_assert_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                       "Transfer-Encoding other than \"chunked\"");
  prv_assert_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                       "chunk size is not a hexadecimal number");
  prv_assert_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
                       "chunk data longer than its size line says");
  static char big[FLEET_HTTP_HEAD_MAX_LENGTH + 64];
  strcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ");
  memset(big + strlen(big), 'a', FLEET_HTTP_HEAD_MAX_LENGTH);
  prv_assert_malformed(big, "status line and headers longer than 4096 bytes");
}

static void test_fleet_http_response_handler_abort_stops_the_body(void **state) {
  (void)state;
  s_body_result = FLEET_ERR_IMAGE_HASH;
  assert_int_equal(prv_feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 64),
                   FLEET_ERR_IMAGE_HASH);
  assert_null(s_r.why); /* the handler's verdict, not the parser's */
}

int main(void) {
#define T(name) cmocka_unit_test_setup(name, prv_setup)
  const struct CMUnitTest tests[] = {
      T(test_fleet_http_response_content_length_in_any_pieces),
      T(test_fleet_http_response_chunked_with_extensions_and_trailers),
      T(test_fleet_http_response_skips_interim_and_reads_until_close),
      T(test_fleet_http_response_error_status_still_reaches_the_handler),
      T(test_fleet_http_response_cut_short_is_a_network_error),
      T(test_fleet_http_response_refuses_malformed_responses),
      T(test_fleet_http_response_handler_abort_stops_the_body),
  };
#undef T
  return cmocka_run_group_tests_name("fleet_http_response", tests, NULL, NULL);
}
