#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_port_clock.h"
#include "fake_port_log.h"
#include "fake_port_mqtt.h"
#include "fleet/jobs.h"

#define THING "esp32-00AABBCC"
#define PREFIX "$aws/things/" THING "/jobs/"

static struct fleet_jobs s_jobs;
static struct fleet_json_token s_tokens[128];
static struct fleet_json s_doc;
static char s_text[8192];
static struct {
  unsigned jobs;
  unsigned refused;
  unsigned no_job;
  unsigned canceled;
  unsigned terminal;
  char last_job[65];
  char last_reason[129];
  enum fleet_job_status last_status;
} s_seen;

static void prv_on_job(void *ctx, const char *job_id, const struct fleet_job_document *doc) {
  (void)ctx;
  s_seen.jobs++;
  snprintf(s_seen.last_job, sizeof(s_seen.last_job), "%s", job_id);
  assert_string_equal(doc->version, "1.4.0");
}
static void prv_on_refused(void *ctx, const char *job_id, const char *reason) {
  (void)ctx;
  (void)job_id;
  s_seen.refused++;
  snprintf(s_seen.last_reason, sizeof(s_seen.last_reason), "%s", reason);
}
static void prv_on_no_job(void *ctx) {
  (void)ctx;
  s_seen.no_job++;
}
static void prv_on_canceled(void *ctx, const char *job_id) {
  (void)ctx;
  s_seen.canceled++;
  snprintf(s_seen.last_job, sizeof(s_seen.last_job), "%s", job_id);
}
static void prv_on_terminal(void *ctx, const char *job_id, enum fleet_job_status status) {
  (void)ctx;
  (void)job_id;
  s_seen.terminal++;
  s_seen.last_status = status;
}

static const struct fleet_jobs_callbacks kCallbacks = {
    .on_job = prv_on_job,
    .on_job_refused = prv_on_refused,
    .on_no_job = prv_on_no_job,
    .on_canceled = prv_on_canceled,
    .on_terminal_accepted = prv_on_terminal,
};

static const char kJobDocument[] =
    "{\"version\":1,\"operation\":\"ota\",\"releaseId\":\"v1_4_0-3f9a0c1d2e4b5a69\",\"firmware\":{"
    "\"version\":\"1.4.0\",\"descriptorVersion\":\"1cd5752\",\"secureVersion\":0,\"chip\":"
    "\"esp32\","
    "\"size\":601808,\"sha256\":"
    "\"6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1\","
    "\"url\":\"https://s3.local/b/k\",\"signature\":\"MAYCAQECAQE=\","
    "\"signatureAlgorithm\":\"sig-sha256-ecdsa\",\"keyId\":\"k1\"}}";

static int prv_setup(void **state) {
  (void)state;
  memset(&s_seen, 0, sizeof(s_seen));
  memset(&s_jobs, 0xA5, sizeof(s_jobs));
  fake_port_mqtt_reset();
  fake_port_log_reset();
  fake_port_clock_set_random(7);
  assert_int_equal(fleet_jobs_init(&s_jobs, THING, &kCallbacks), FLEET_OK);
  return 0;
}

static bool prv_deliver(const char *suffix, const char *json) {
  char topic[256];
  snprintf(topic, sizeof(topic), PREFIX "%s", suffix);
  assert_int_equal(fleet_json_parse(&s_doc, json, strlen(json), s_tokens, 128, NULL), FLEET_OK);
  return fleet_jobs_on_message(&s_jobs, topic, &s_doc);
}

/* The clientToken of the last start-next publish. */
static const char *prv_last_start_token(void) {
  static char token[65];
  for (unsigned i = fake_port_mqtt_publish_count(); i > 0; i--) {
    const struct fake_mqtt_publish *p = fake_port_mqtt_publish_at(i - 1);
    if (strcmp(p->topic, PREFIX "start-next") == 0) {
      assert_int_equal(fleet_json_parse(&s_doc, p->payload, p->len, s_tokens, 128, NULL), FLEET_OK);
      assert_int_equal(fleet_json_get_string(&s_doc, fleet_json_find(&s_doc, 0, "clientToken"),
                                             token, sizeof(token), NULL),
                       FLEET_OK);
      return token;
    }
  }
  fail_msg("no start-next published");
  return NULL;
}

static void prv_start_accepted(const char *job_id, const char *document) {
  snprintf(s_text, sizeof(s_text),
           "{\"clientToken\":\"%s\",\"timestamp\":2,\"execution\":{\"jobId\":\"%s\","
           "\"status\":\"IN_PROGRESS\",\"versionNumber\":2,\"executionNumber\":1,"
           "\"jobDocument\":%s}}",
           prv_last_start_token(), job_id, document);
  assert_true(prv_deliver("start-next/accepted", s_text));
}

static void test_fleet_jobs_on_connected_subscribes_and_starts_next(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  assert_string_equal(fake_port_mqtt_subscription(0), PREFIX "notify-next");
  assert_string_equal(fake_port_mqtt_subscription(1), PREFIX "start-next/accepted");
  assert_string_equal(fake_port_mqtt_subscription(2), PREFIX "start-next/rejected");
  assert_int_equal(fake_port_mqtt_publish_count(), 1);
  assert_string_equal(fake_port_mqtt_publish_at(0)->topic, PREFIX "start-next");
  assert_int_equal(s_jobs.state, FLEET_JOBS_AWAIT_START);
}

static void test_fleet_jobs_start_accepted_hands_job_to_owner(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  prv_start_accepted("ota-1", kJobDocument);
  assert_int_equal(s_seen.jobs, 1);
  assert_string_equal(s_seen.last_job, "ota-1");
  assert_int_equal(s_jobs.state, FLEET_JOBS_ACTIVE);
  assert_string_equal(fake_port_mqtt_subscription(3), PREFIX "ota-1/update/accepted");
}

static void test_fleet_jobs_start_accepted_ignores_stale_client_token(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  snprintf(s_text, sizeof(s_text),
           "{\"clientToken\":\"start-1\",\"execution\":{\"jobId\":\"old\",\"jobDocument\":%s}}",
           kJobDocument);
  assert_true(prv_deliver("start-next/accepted", s_text));
  assert_int_equal(s_seen.jobs, 0);
  assert_int_equal(s_jobs.state, FLEET_JOBS_AWAIT_START);
}

static void test_fleet_jobs_reports_progress_and_terminal_status(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  prv_start_accepted("ota-1", kJobDocument);
  assert_int_equal(fleet_jobs_report(&s_jobs, FLEET_JOB_IN_PROGRESS, NULL, 300904), FLEET_OK);
  const struct fake_mqtt_publish *p = fake_port_mqtt_publish_at(fake_port_mqtt_publish_count() - 1);
  assert_string_equal(p->topic, PREFIX "ota-1/update");
  assert_int_equal(fleet_json_parse(&s_doc, p->payload, p->len, s_tokens, 128, NULL), FLEET_OK);
  assert_true(
      fleet_json_string_equals(&s_doc, fleet_json_find(&s_doc, 0, "status"), "IN_PROGRESS"));
  assert_true(
      fleet_json_string_equals(&s_doc, fleet_json_find(&s_doc, 0, "statusDetails.progress"), "50"));
  assert_true(fleet_json_string_equals(
      &s_doc, fleet_json_find(&s_doc, 0, "statusDetails.bytesReceived"), "300904"));
  assert_true(prv_deliver("ota-1/update/accepted", "{\"timestamp\":3}"));
  assert_int_equal(s_seen.terminal, 0);
  assert_int_equal(fleet_jobs_report(&s_jobs, FLEET_JOB_FAILED, "rollback", 0), FLEET_OK);
  p = fake_port_mqtt_publish_at(fake_port_mqtt_publish_count() - 1);
  assert_int_equal(fleet_json_parse(&s_doc, p->payload, p->len, s_tokens, 128, NULL), FLEET_OK);
  assert_true(fleet_json_string_equals(&s_doc, fleet_json_find(&s_doc, 0, "status"), "FAILED"));
  assert_true(fleet_json_string_equals(&s_doc, fleet_json_find(&s_doc, 0, "statusDetails.reason"),
                                       "rollback"));
  unsigned before = fake_port_mqtt_publish_count();
  assert_true(prv_deliver("ota-1/update/accepted", "{\"timestamp\":4}"));
  assert_int_equal(s_seen.terminal, 1);
  assert_int_equal(s_seen.last_status, FLEET_JOB_FAILED);
  /* after a terminal report it asks for the next job */
  assert_int_equal(fake_port_mqtt_publish_count(), before + 1);
  assert_string_equal(fake_port_mqtt_publish_at(before)->topic, PREFIX "start-next");
}

static void test_fleet_jobs_ignores_duplicate_and_stale_notifications(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  prv_start_accepted("ota-1", kJobDocument);
  unsigned before = fake_port_mqtt_publish_count();
  assert_true(prv_deliver("notify-next", "{\"timestamp\":10,\"execution\":{\"jobId\":\"ota-1\"}}"));
  assert_true(prv_deliver("notify-next", "{\"timestamp\":10,\"execution\":{\"jobId\":\"ota-1\"}}"));
  assert_true(prv_deliver("notify-next", "{\"timestamp\":5}")); /* older than 10: stale */
  assert_int_equal(fake_port_mqtt_publish_count(), before);
  assert_int_equal(s_seen.canceled, 0);
  assert_int_equal(s_seen.jobs, 1);
}

static void test_fleet_jobs_reports_cancellation_when_job_disappears(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  prv_start_accepted("ota-1", kJobDocument);
  assert_true(prv_deliver("notify-next", "{\"timestamp\":20}"));
  assert_int_equal(s_seen.canceled, 1);
  assert_string_equal(s_seen.last_job, "ota-1");
  assert_int_equal(s_jobs.state, FLEET_JOBS_IDLE);
  assert_int_equal(fleet_jobs_report(&s_jobs, FLEET_JOB_IN_PROGRESS, NULL, 1),
                   FLEET_ERR_INVALID_STATE);
}

static void test_fleet_jobs_reports_cancellation_when_update_rejected_terminal(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  prv_start_accepted("ota-1", kJobDocument);
  assert_int_equal(fleet_jobs_report(&s_jobs, FLEET_JOB_IN_PROGRESS, NULL, 1), FLEET_OK);
  assert_true(prv_deliver("ota-1/update/rejected",
                          "{\"code\":\"TerminalStateReached\",\"message\":\"canceled\"}"));
  assert_int_equal(s_seen.canceled, 1);
}

static void test_fleet_jobs_refuses_invalid_document_with_failed_reason(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  prv_start_accepted("ota-2", "{\"version\":2,\"operation\":\"ota\"}");
  assert_int_equal(s_seen.jobs, 0);
  assert_int_equal(s_seen.refused, 1);
  assert_string_equal(s_seen.last_reason, "job_document:version");
  const struct fake_mqtt_publish *p = fake_port_mqtt_publish_at(fake_port_mqtt_publish_count() - 1);
  assert_string_equal(p->topic, PREFIX "ota-2/update");
  assert_non_null(strstr(p->payload, "\"status\":\"FAILED\""));
  assert_non_null(strstr(p->payload, "\"reason\":\"job_document:version\""));
}

static void test_fleet_jobs_start_accepted_without_execution_means_no_job(void **state) {
  (void)state;
  assert_int_equal(fleet_jobs_on_connected(&s_jobs), FLEET_OK);
  snprintf(s_text, sizeof(s_text), "{\"clientToken\":\"%s\",\"timestamp\":1}",
           prv_last_start_token());
  assert_true(prv_deliver("start-next/accepted", s_text));
  assert_int_equal(s_seen.no_job, 1);
  assert_int_equal(s_jobs.state, FLEET_JOBS_IDLE);
  /* a notify-next naming a job then asks for it */
  unsigned before = fake_port_mqtt_publish_count();
  assert_true(prv_deliver("notify-next", "{\"timestamp\":30,\"execution\":{\"jobId\":\"ota-3\"}}"));
  assert_int_equal(fake_port_mqtt_publish_count(), before + 1);
  assert_false(fleet_jobs_on_message(&s_jobs, "$aws/things/other/jobs/notify-next", &s_doc));
}

int main(void) {
#define T(name) cmocka_unit_test_setup(name, prv_setup)
  const struct CMUnitTest tests[] = {
      T(test_fleet_jobs_on_connected_subscribes_and_starts_next),
      T(test_fleet_jobs_start_accepted_hands_job_to_owner),
      T(test_fleet_jobs_start_accepted_ignores_stale_client_token),
      T(test_fleet_jobs_reports_progress_and_terminal_status),
      T(test_fleet_jobs_ignores_duplicate_and_stale_notifications),
      T(test_fleet_jobs_reports_cancellation_when_job_disappears),
      T(test_fleet_jobs_reports_cancellation_when_update_rejected_terminal),
      T(test_fleet_jobs_refuses_invalid_document_with_failed_reason),
      T(test_fleet_jobs_start_accepted_without_execution_means_no_job),
  };
#undef T
  return cmocka_run_group_tests_name("fleet_jobs", tests, NULL, NULL);
}
