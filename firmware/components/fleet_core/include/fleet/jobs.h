/**
 * @file jobs.h
 * @brief AWS IoT Jobs client over the MQTT API ("Jobs device MQTT API operations",
 *        https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html).
 *
 * On connect: subscribe to notify-next and the start-next replies, then
 * StartNextPendingJobExecution. A notify-next naming a new job triggers start-next again; one
 * naming the job already running is a duplicate; one older than the last seen (timestamp) is stale;
 * one that no longer names the running job means it was canceled (or removed), as does an update
 * rejected with TerminalStateReached. Progress goes to $aws/things/<thing>/jobs/<jobId>/update as
 * IN_PROGRESS with statusDetails; the end as SUCCEEDED or FAILED with a reason.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fleet/config.h"
#include "fleet/job_document.h"
#include "fleet/json.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** AWS allows 64 characters in a clientToken. */
#define FLEET_CLIENT_TOKEN_MAX_LENGTH 64

/** Where the client is. */
enum fleet_jobs_state {
  FLEET_JOBS_IDLE,        /**< No job; waiting for notify-next. */
  FLEET_JOBS_AWAIT_START, /**< start-next published. */
  FLEET_JOBS_ACTIVE,      /**< A job execution is being worked on. */
};

/** Final or intermediate status reported for an execution (AWS spelling). */
enum fleet_job_status {
  FLEET_JOB_IN_PROGRESS,
  FLEET_JOB_SUCCEEDED,
  FLEET_JOB_FAILED,
};

/** What the jobs client tells its owner. */
struct fleet_jobs_callbacks {
  /** A job execution to work on (new, or IN_PROGRESS from before a reboot). */
  void (*on_job)(void *ctx, const char *job_id, const struct fleet_job_document *doc);
  /** The execution has a document this firmware cannot use; it was reported FAILED. */
  void (*on_job_refused)(void *ctx, const char *job_id, const char *reason);
  /** Nothing is queued for this thing (start-next returned no execution). */
  void (*on_no_job)(void *ctx);
  /** The running execution was canceled or removed: stop working on it. */
  void (*on_canceled)(void *ctx, const char *job_id);
  /** A terminal report was accepted by the cloud. */
  void (*on_terminal_accepted)(void *ctx, const char *job_id, enum fleet_job_status status);
  void *ctx;
};

/** Jobs client state (~4.7 KB, mostly the job document). */
struct fleet_jobs {
  enum fleet_jobs_state state;
  char thing_name[FLEET_THING_NAME_MAX_LENGTH + 1];
  char job_id[FLEET_JOB_ID_MAX_LENGTH + 1];
  enum fleet_job_status pending_terminal; /**< Terminal status sent, awaiting acceptance. */
  bool terminal_sent;
  uint64_t last_notify_timestamp;
  uint32_t token_counter;
  char start_token[FLEET_CLIENT_TOKEN_MAX_LENGTH + 1];
  struct fleet_job_document document;
  struct fleet_jobs_callbacks callbacks;
};

/**
 * Prepare the client for a thing.
 *
 * @param j State.
 * @param thing_name Thing name (at most FLEET_THING_NAME_MAX_LENGTH).
 * @param callbacks Owner callbacks (copied).
 * @return FLEET_OK or FLEET_ERR_INVALID_ARG.
 */
enum fleet_status fleet_jobs_init(struct fleet_jobs *j, const char *thing_name,
                                  const struct fleet_jobs_callbacks *callbacks);

/**
 * The thing connection is up: subscribe and ask for the next job.
 *
 * @param j State.
 * @return FLEET_OK or the MQTT port's error.
 */
enum fleet_status fleet_jobs_on_connected(struct fleet_jobs *j);

/**
 * A message arrived.
 *
 * @param j State.
 * @param topic NUL-terminated topic.
 * @param doc Parsed payload (NULL if it was not JSON).
 * @return true if the topic belonged to the jobs API of this thing.
 */
bool fleet_jobs_on_message(struct fleet_jobs *j, const char *topic, const struct fleet_json *doc);

/**
 * Report the status of the active execution.
 *
 * @param j State.
 * @param status IN_PROGRESS, SUCCEEDED or FAILED.
 * @param reason Reason code for statusDetails.reason (NULL for none), e.g. "rollback".
 * @param bytes_received For IN_PROGRESS: bytes so far (statusDetails.bytesReceived, .progress).
 * @return FLEET_OK; FLEET_ERR_INVALID_STATE without an active execution; MQTT port errors.
 */
enum fleet_status fleet_jobs_report(struct fleet_jobs *j, enum fleet_job_status status,
                                    const char *reason, uint64_t bytes_received);

/**
 * AWS spelling of a status.
 *
 * @param status Status.
 * @return "IN_PROGRESS", "SUCCEEDED" or "FAILED".
 */
const char *fleet_job_status_to_str(enum fleet_job_status status);

#ifdef __cplusplus
}
#endif
