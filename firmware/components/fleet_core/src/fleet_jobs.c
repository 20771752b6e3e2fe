#include "fleet/jobs.h"

#include <stdio.h>
#include <string.h>

#include "fleet/port/clock.h"
#include "fleet/port/mqtt.h"

#define FLEET_LOG_TAG "fleet_jobs"
#include "fleet/log.h"

#define PRV_PREFIX "$aws/things/%s/jobs/"

/* Request payloads are small: a token, a status and statusDetails. */
static char s_payload[512];

const char *fleet_job_status_to_str(enum fleet_job_status status) {
  switch (status) {
    case FLEET_JOB_IN_PROGRESS:
      return "IN_PROGRESS";
    case FLEET_JOB_SUCCEEDED:
      return "SUCCEEDED";
    case FLEET_JOB_FAILED:
      return "FAILED";
  }
  return "FAILED";
}

enum fleet_status fleet_jobs_init(struct fleet_jobs *j, const char *thing_name,
                                  const struct fleet_jobs_callbacks *callbacks) {
  if (j == NULL || thing_name == NULL || callbacks == NULL || thing_name[0] == '\0' ||
      strlen(thing_name) > FLEET_THING_NAME_MAX_LENGTH) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(j, 0, sizeof(*j));
  strcpy(j->thing_name, thing_name);
  j->callbacks = *callbacks;
  j->token_counter = fleet_port_random_u32() & 0xFFFFu;
  return FLEET_OK;
}

static void prv_topic(const struct fleet_jobs *j, char *out, const char *suffix) {
  snprintf(out, FLEET_TOPIC_MAX_LENGTH, PRV_PREFIX "%s", j->thing_name, suffix);
}

static enum fleet_status prv_start_next(struct fleet_jobs *j) {
  char topic[FLEET_TOPIC_MAX_LENGTH];
  prv_topic(j, topic, "start-next");
  snprintf(j->start_token, sizeof(j->start_token), "start-%u", (unsigned)++j->token_counter);
  struct fleet_json_writer w;
  fleet_json_writer_init(&w, s_payload, sizeof(s_payload));
  fleet_json_write_raw(&w, "{\"clientToken\":");
  fleet_json_write_string(&w, j->start_token, strlen(j->start_token));
  fleet_json_write_raw(&w, "}");
  FLEET_RETURN_IF_ERROR(fleet_json_writer_finish(&w));
  j->state = FLEET_JOBS_AWAIT_START;
  return fleet_port_mqtt_publish(topic, s_payload, w.len);
}

enum fleet_status fleet_jobs_on_connected(struct fleet_jobs *j) {
  static const char *const kSuffixes[] = {"notify-next", "start-next/accepted",
                                          "start-next/rejected"};
  char topic[FLEET_TOPIC_MAX_LENGTH];
  for (size_t i = 0; i < sizeof(kSuffixes) / sizeof(kSuffixes[0]); i++) {
    prv_topic(j, topic, kSuffixes[i]);
    FLEET_RETURN_IF_ERROR(fleet_port_mqtt_subscribe(topic));
  }
  /* A job that was active before the connection dropped comes back from start-next. */
  j->state = FLEET_JOBS_IDLE;
  j->job_id[0] = '\0';
  j->terminal_sent = false;
  return prv_start_next(j);
}

static enum fleet_status prv_subscribe_updates(struct fleet_jobs *j) {
  char topic[FLEET_TOPIC_MAX_LENGTH];
  char suffix[FLEET_JOB_ID_MAX_LENGTH + 24];
  snprintf(suffix, sizeof(suffix), "%s/update/accepted", j->job_id);
  prv_topic(j, topic, suffix);
  FLEET_RETURN_IF_ERROR(fleet_port_mqtt_subscribe(topic));
  snprintf(suffix, sizeof(suffix), "%s/update/rejected", j->job_id);
  prv_topic(j, topic, suffix);
  return fleet_port_mqtt_subscribe(topic);
}

enum fleet_status fleet_jobs_report(struct fleet_jobs *j, enum fleet_job_status status,
                                    const char *reason, uint64_t bytes_received) {
  if (j->state != FLEET_JOBS_ACTIVE) {
    return FLEET_ERR_INVALID_STATE;
  }
  char topic[FLEET_TOPIC_MAX_LENGTH];
  char suffix[FLEET_JOB_ID_MAX_LENGTH + 8];
  snprintf(suffix, sizeof(suffix), "%s/update", j->job_id);
  prv_topic(j, topic, suffix);
  char token[FLEET_CLIENT_TOKEN_MAX_LENGTH + 1];
  snprintf(token, sizeof(token), "update-%u", (unsigned)++j->token_counter);
  struct fleet_json_writer w;
  fleet_json_writer_init(&w, s_payload, sizeof(s_payload));
  fleet_json_write_raw(&w, "{\"status\":\"");
  fleet_json_write_raw(&w, fleet_job_status_to_str(status));
  fleet_json_write_raw(&w, "\",\"statusDetails\":{");
  /* statusDetails is a map of strings to strings (UpdateJobExecution request). */
  bool comma = false;
  if (status == FLEET_JOB_IN_PROGRESS) {
    char number[24];
    snprintf(number, sizeof(number), "%llu", (unsigned long long)bytes_received);
    fleet_json_write_raw(&w, "\"bytesReceived\":");
    fleet_json_write_string(&w, number, strlen(number));
    unsigned percent =
        j->document.size > 0 ? (unsigned)(bytes_received * 100u / j->document.size) : 0u;
    snprintf(number, sizeof(number), "%u", percent);
    fleet_json_write_raw(&w, ",\"progress\":");
    fleet_json_write_string(&w, number, strlen(number));
    comma = true;
  }
  if (status == FLEET_JOB_SUCCEEDED && j->document.version[0] != '\0') {
    fleet_json_write_raw(&w, "\"version\":");
    fleet_json_write_string(&w, j->document.version, strlen(j->document.version));
    comma = true;
  }
  if (reason != NULL) {
    fleet_json_write_raw(&w, comma ? ",\"reason\":" : "\"reason\":");
    fleet_json_write_string(&w, reason, strlen(reason));
  }
  fleet_json_write_raw(&w, "},\"clientToken\":");
  fleet_json_write_string(&w, token, strlen(token));
  fleet_json_write_raw(&w, "}");
  FLEET_RETURN_IF_ERROR(fleet_json_writer_finish(&w));
  if (status != FLEET_JOB_IN_PROGRESS) {
    j->terminal_sent = true;
    j->pending_terminal = status;
  }
  FLEET_LOG_INFO("job %s: %s%s%s", j->job_id, fleet_job_status_to_str(status),
                 reason != NULL ? " reason=" : "", reason != NULL ? reason : "");
  return fleet_port_mqtt_publish(topic, s_payload, w.len);
}

static void prv_canceled(struct fleet_jobs *j) {
  char job_id[FLEET_JOB_ID_MAX_LENGTH + 1];
  strcpy(job_id, j->job_id);
  FLEET_LOG_WARN("job %s was canceled or removed", job_id);
  j->state = FLEET_JOBS_IDLE;
  j->job_id[0] = '\0';
  j->terminal_sent = false;
  if (j->callbacks.on_canceled != NULL)
    j->callbacks.on_canceled(j->callbacks.ctx, job_id);
}

static void prv_notify_next(struct fleet_jobs *j, const struct fleet_json *doc) {
  uint64_t timestamp = 0;
  (void)fleet_json_get_u64(doc, fleet_json_find(doc, 0, "timestamp"), &timestamp);
  if (timestamp != 0 && timestamp < j->last_notify_timestamp) {
    FLEET_LOG_WARN("ignoring stale notify-next (timestamp %llu < %llu)",
                   (unsigned long long)timestamp, (unsigned long long)j->last_notify_timestamp);
    return;
  }
  if (timestamp != 0)
    j->last_notify_timestamp = timestamp;
  char job_id[FLEET_JOB_ID_MAX_LENGTH + 1] = "";
  (void)fleet_json_get_string(doc, fleet_json_find(doc, 0, "execution.jobId"), job_id,
                              sizeof(job_id), NULL);
  if (j->state == FLEET_JOBS_ACTIVE) {
    if (strcmp(job_id, j->job_id) == 0) {
      return; /* duplicate: the running job is still the next one */
    }
    if (!j->terminal_sent) {
      prv_canceled(j); /* an IN_PROGRESS execution stays "next" until it ends or is canceled */
    } else {
      return; /* our terminal report is in flight; start-next follows its acceptance */
    }
  }
  if (job_id[0] != '\0' && j->state == FLEET_JOBS_IDLE) {
    (void)prv_start_next(j);
  }
}

static void prv_start_accepted(struct fleet_jobs *j, const struct fleet_json *doc) {
  if (j->state != FLEET_JOBS_AWAIT_START ||
      !fleet_json_string_equals(doc, fleet_json_find(doc, 0, "clientToken"), j->start_token)) {
    FLEET_LOG_WARN("ignoring a start-next reply that is not for the latest request");
    return;
  }
  int execution = fleet_json_find(doc, 0, "execution");
  if (execution < 0 || fleet_json_get_string(doc, fleet_json_find(doc, execution, "jobId"),
                                             j->job_id, sizeof(j->job_id), NULL) != FLEET_OK) {
    j->state = FLEET_JOBS_IDLE;
    j->job_id[0] = '\0';
    if (j->callbacks.on_no_job != NULL)
      j->callbacks.on_no_job(j->callbacks.ctx);
    return;
  }
  j->state = FLEET_JOBS_ACTIVE;
  j->terminal_sent = false;
  if (prv_subscribe_updates(j) != FLEET_OK) {
    FLEET_LOG_ERROR("cannot subscribe to the update replies of job %s", j->job_id);
  }
  const char *bad_field = NULL;
  int document = fleet_json_find(doc, execution, "jobDocument");
  if (document < 0 ||
      fleet_job_document_parse(doc, document, &j->document, &bad_field) != FLEET_OK) {
    char reason[FLEET_REASON_MAX_LENGTH + 1];
    snprintf(reason, sizeof(reason), "job_document:%s", bad_field != NULL ? bad_field : "missing");
    (void)fleet_jobs_report(j, FLEET_JOB_FAILED, reason, 0);
    if (j->callbacks.on_job_refused != NULL) {
      j->callbacks.on_job_refused(j->callbacks.ctx, j->job_id, reason);
    }
    return;
  }
  FLEET_LOG_INFO("job %s: release %s (%s), %u bytes", j->job_id, j->document.release_id,
                 j->document.version, (unsigned)j->document.size);
  if (j->callbacks.on_job != NULL)
    j->callbacks.on_job(j->callbacks.ctx, j->job_id, &j->document);
}

static void prv_update_reply(struct fleet_jobs *j, const char *job_id, bool accepted,
                             const struct fleet_json *doc) {
  if (j->state != FLEET_JOBS_ACTIVE || strcmp(job_id, j->job_id) != 0) {
    return; /* a late reply for a job we no longer run */
  }
  if (!accepted) {
    char code[48] = "";
    (void)fleet_json_get_string(doc, fleet_json_find(doc, 0, "code"), code, sizeof(code), NULL);
    FLEET_LOG_ERROR("update of job %s rejected: %s", job_id, code);
    if (strcmp(code, "TerminalStateReached") == 0 || strcmp(code, "InvalidStateTransition") == 0 ||
        strcmp(code, "ResourceNotFound") == 0) {
      prv_canceled(j);
    }
    return;
  }
  if (!j->terminal_sent) {
    return; /* an IN_PROGRESS update was accepted */
  }
  char done[FLEET_JOB_ID_MAX_LENGTH + 1];
  strcpy(done, j->job_id);
  enum fleet_job_status status = j->pending_terminal;
  j->state = FLEET_JOBS_IDLE;
  j->job_id[0] = '\0';
  j->terminal_sent = false;
  if (j->callbacks.on_terminal_accepted != NULL) {
    j->callbacks.on_terminal_accepted(j->callbacks.ctx, done, status);
  }
  if (j->state == FLEET_JOBS_IDLE) {
    (void)prv_start_next(j); /* there may be another job queued */
  }
}

bool fleet_jobs_on_message(struct fleet_jobs *j, const char *topic, const struct fleet_json *doc) {
  char prefix[FLEET_TOPIC_MAX_LENGTH];
  int prefix_len = snprintf(prefix, sizeof(prefix), PRV_PREFIX, j->thing_name);
  if (prefix_len <= 0 || strncmp(topic, prefix, (size_t)prefix_len) != 0) {
    return false;
  }
  const char *rest = topic + prefix_len;
  if (doc == NULL) {
    FLEET_LOG_WARN("ignoring a non-JSON payload on %s", topic);
    return true;
  }
  if (strcmp(rest, "notify-next") == 0) {
    prv_notify_next(j, doc);
  } else if (strcmp(rest, "start-next/accepted") == 0) {
    prv_start_accepted(j, doc);
  } else if (strcmp(rest, "start-next/rejected") == 0) {
    FLEET_LOG_ERROR("start-next rejected");
    if (j->state == FLEET_JOBS_AWAIT_START)
      j->state = FLEET_JOBS_IDLE;
  } else {
    const char *slash = strchr(rest, '/');
    if (slash != NULL && (size_t)(slash - rest) <= FLEET_JOB_ID_MAX_LENGTH) {
      char job_id[FLEET_JOB_ID_MAX_LENGTH + 1];
      memcpy(job_id, rest, (size_t)(slash - rest));
      job_id[slash - rest] = '\0';
      if (strcmp(slash, "/update/accepted") == 0) {
        prv_update_reply(j, job_id, true, doc);
      } else if (strcmp(slash, "/update/rejected") == 0) {
        prv_update_reply(j, job_id, false, doc);
      }
    }
  }
  return true;
}
