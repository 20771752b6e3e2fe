#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fake_port_clock.h"
#include "fake_port_log.h"
#include "fake_port_mqtt.h"
#include "fake_port_storage.h"
#include "fleet/provisioning.h"
#include "mbedtls/x509_csr.h"

#define TEMPLATE "fleet-dev-provisioning"
#define CSR_ACCEPTED "$aws/certificates/create-from-csr/json/accepted"
#define CSR_REJECTED "$aws/certificates/create-from-csr/json/rejected"
#define THING_ACCEPTED "$aws/provisioning-templates/" TEMPLATE "/provision/json/accepted"
#define THING_REJECTED "$aws/provisioning-templates/" TEMPLATE "/provision/json/rejected"

static struct fleet_provisioning s_prov;
static struct fleet_json_token s_tokens[64];
static struct fleet_json s_doc;

static int prv_setup(void **state) {
  (void)state;
  memset(&s_prov, 0xA5, sizeof(s_prov));
  fake_port_mqtt_reset();
  fake_port_storage_reset();
  fake_port_log_reset();
  fake_port_clock_set_random(0);
  return 0;
}

static bool prv_deliver(const char *topic, const char *json, uint64_t now) {
  assert_int_equal(fleet_json_parse(&s_doc, json, strlen(json), s_tokens, 64, NULL), FLEET_OK);
  return fleet_provisioning_on_message(&s_prov, topic, &s_doc, now);
}

/* Replies shaped as in fleet-provision-api.html. */
static const char kCertAccepted[] =
    "{\"certificateId\":\"abc123\",\"certificatePem\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n"
    "-----END CERTIFICATE-----\\n\",\"certificateOwnershipToken\":\"tok-1\"}";
static const char kThingAccepted[] =
    "{\"deviceConfiguration\":{},\"thingName\":\"esp32-00AABBCC\"}";

static void prv_run_to_await_certificate(void) {
  assert_int_equal(fleet_provisioning_start(&s_prov, TEMPLATE, "00AABBCC", "esp32-dev-00AABBCC", 0),
                   FLEET_OK);
  fleet_provisioning_on_connected(&s_prov, 10);
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_AWAIT_CERTIFICATE);
}

static void test_fleet_provisioning_start_connects_with_claim_identity(void **state) {
  (void)state;
  assert_int_equal(fleet_provisioning_start(&s_prov, TEMPLATE, "00AABBCC", "esp32-dev-00AABBCC", 0),
                   FLEET_OK);
  assert_int_equal(fake_port_mqtt_connect_count(), 1);
  assert_true(fake_port_mqtt_last_connect_was_claim());
  assert_string_equal(fake_port_mqtt_last_client_id(), "esp32-dev-00AABBCC");
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_CONNECTING);
}

static void test_fleet_provisioning_on_connected_subscribes_then_publishes_csr(void **state) {
  (void)state;
  prv_run_to_await_certificate();
  assert_int_equal(fake_port_mqtt_subscription_count(), 4);
  assert_string_equal(fake_port_mqtt_subscription(0), CSR_ACCEPTED);
  assert_string_equal(fake_port_mqtt_subscription(3), THING_REJECTED);
  assert_int_equal(fake_port_mqtt_publish_count(), 1);
  const struct fake_mqtt_publish *pub = fake_port_mqtt_publish_at(0);
  assert_string_equal(pub->topic, "$aws/certificates/create-from-csr/json");
  /* The CSR is real: mbedTLS parses it, and its subject is the serial number. */
  assert_int_equal(fleet_json_parse(&s_doc, pub->payload, pub->len, s_tokens, 64, NULL), FLEET_OK);
  char pem[1200];
  assert_int_equal(
      fleet_json_get_string(&s_doc, fleet_json_find(&s_doc, 0, "certificateSigningRequest"), pem,
                            sizeof(pem), NULL),
      FLEET_OK);
  mbedtls_x509_csr csr;
  mbedtls_x509_csr_init(&csr);
  assert_int_equal(mbedtls_x509_csr_parse(&csr, (const unsigned char *)pem, strlen(pem) + 1), 0);
  char subject[128];
  assert_true(mbedtls_x509_dn_gets(subject, sizeof(subject), &csr.subject) > 0);
  assert_string_equal(subject, "CN=00AABBCC");
  mbedtls_x509_csr_free(&csr);
  assert_non_null(strstr(s_prov.creds.key_pem, "BEGIN EC PRIVATE KEY"));
}

static void test_fleet_provisioning_stores_credentials_once_thing_registered(void **state) {
  (void)state;
  prv_run_to_await_certificate();
  assert_true(prv_deliver(CSR_ACCEPTED, kCertAccepted, 20));
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_AWAIT_THING);
  const struct fake_mqtt_publish *pub = fake_port_mqtt_publish_at(1);
  assert_string_equal(pub->topic, "$aws/provisioning-templates/" TEMPLATE "/provision/json");
  assert_string_equal(pub->payload,
                      "{\"certificateOwnershipToken\":\"tok-1\",\"parameters\":"
                      "{\"SerialNumber\":\"00AABBCC\"}}");
  assert_int_equal(fake_port_storage_write_count(), 0); /* nothing stored before the thing exists */
  assert_true(prv_deliver(THING_ACCEPTED, kThingAccepted, 30));
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_DONE);
  assert_int_equal(fake_port_storage_write_count(), 1); /* one record: all or nothing */
  struct fleet_credentials loaded;
  static char scratch[FLEET_CREDENTIALS_RECORD_MAX_LENGTH];
  assert_int_equal(fleet_credentials_load(&loaded, scratch, sizeof(scratch)), FLEET_OK);
  assert_string_equal(loaded.thing_name, "esp32-00AABBCC");
  assert_string_equal(loaded.cert_pem,
                      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  assert_string_equal(loaded.key_pem, s_prov.creds.key_pem);
}

static void test_fleet_provisioning_backs_off_with_reason_when_rejected(void **state) {
  (void)state;
  prv_run_to_await_certificate();
  assert_true(prv_deliver(THING_ACCEPTED, kThingAccepted, 15)); /* stale: wrong step, ignored */
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_AWAIT_CERTIFICATE);
  assert_true(prv_deliver(CSR_ACCEPTED, kCertAccepted, 20));
  assert_true(prv_deliver(THING_REJECTED,
                          "{\"statusCode\":403,\"errorCode\":\"AccessDenied\","
                          "\"errorMessage\":\"serial not allowed\"}",
                          30));
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_BACKOFF);
  assert_string_equal(s_prov.reason, "RegisterThing rejected: AccessDenied serial not allowed");
  assert_non_null(strstr(fake_port_log_last_line(), "AccessDenied"));
  assert_int_equal(fake_port_storage_write_count(), 0);
  /* no reconnect before the delay (min 1000 ms, half of it fixed) */
  fleet_provisioning_tick(&s_prov, 30 + FLEET_CONFIG_BACKOFF_MIN_MS / 2 - 1);
  assert_int_equal(fake_port_mqtt_connect_count(), 1);
  fleet_provisioning_tick(&s_prov, 30 + FLEET_CONFIG_BACKOFF_MIN_MS);
  assert_int_equal(fake_port_mqtt_connect_count(), 2);
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_CONNECTING);
}

static void test_fleet_provisioning_backoff_grows_and_is_capped(void **state) {
  (void)state;
  fake_port_clock_set_random(UINT32_MAX);
  prv_run_to_await_certificate();
  uint64_t now = 100;
  uint64_t previous = 0;
  for (int i = 0; i < 20; i++) {
    assert_true(
        prv_deliver(CSR_REJECTED, "{\"statusCode\":400,\"errorCode\":\"Throttling\"}", now));
    uint64_t delay = s_prov.deadline_ms - now;
    assert_true(delay >= previous || delay >= FLEET_CONFIG_BACKOFF_MAX_MS / 2);
    assert_true(delay <= FLEET_CONFIG_BACKOFF_MAX_MS);
    assert_true(delay >= FLEET_CONFIG_BACKOFF_MIN_MS / 2);
    previous = delay;
    now = s_prov.deadline_ms;
    fleet_provisioning_tick(&s_prov, now);
    fleet_provisioning_on_connected(&s_prov, now);
  }
  assert_true(previous >= FLEET_CONFIG_BACKOFF_MAX_MS / 2);
  assert_int_equal(fake_port_mqtt_connect_count(), 21); /* one connect per delay, no hot loop */
}

static void test_fleet_provisioning_tick_times_out_missing_reply(void **state) {
  (void)state;
  prv_run_to_await_certificate();
  fleet_provisioning_tick(&s_prov, 10 + FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS - 1);
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_AWAIT_CERTIFICATE);
  fleet_provisioning_tick(&s_prov, 10 + FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS);
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_BACKOFF);
  assert_string_equal(s_prov.reason, "no reply within the timeout");
}

static void test_fleet_provisioning_keeps_no_credentials_when_store_fails(void **state) {
  (void)state;
  prv_run_to_await_certificate();
  assert_true(prv_deliver(CSR_ACCEPTED, kCertAccepted, 20));
  fake_port_storage_set_write_status(FLEET_ERR_IO);
  assert_true(prv_deliver(THING_ACCEPTED, kThingAccepted, 30));
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_BACKOFF);
  struct fleet_credentials loaded;
  static char scratch[FLEET_CREDENTIALS_RECORD_MAX_LENGTH];
  assert_int_equal(fleet_credentials_load(&loaded, scratch, sizeof(scratch)), FLEET_ERR_NOT_FOUND);
}

static void test_fleet_provisioning_backs_off_when_connection_drops(void **state) {
  (void)state;
  prv_run_to_await_certificate();
  fleet_provisioning_on_disconnected(&s_prov, FLEET_ERR_NETWORK, 50);
  assert_int_equal(s_prov.state, FLEET_PROVISIONING_BACKOFF);
  assert_string_equal(s_prov.reason, "connection lost: network error");
  assert_false(fleet_provisioning_on_message(&s_prov, "$aws/things/x/jobs/notify-next", NULL, 60));
}

int main(void) {
#define T(name) cmocka_unit_test_setup(name, prv_setup)
  const struct CMUnitTest tests[] = {
      T(test_fleet_provisioning_start_connects_with_claim_identity),
      T(test_fleet_provisioning_on_connected_subscribes_then_publishes_csr),
      T(test_fleet_provisioning_stores_credentials_once_thing_registered),
      T(test_fleet_provisioning_backs_off_with_reason_when_rejected),
      T(test_fleet_provisioning_backoff_grows_and_is_capped),
      T(test_fleet_provisioning_tick_times_out_missing_reply),
      T(test_fleet_provisioning_keeps_no_credentials_when_store_fails),
      T(test_fleet_provisioning_backs_off_when_connection_drops),
  };
#undef T
  return cmocka_run_group_tests_name("fleet_provisioning", tests, NULL, NULL);
}
