/**
 * @file provisioning.h
 * @brief First boot: fleet provisioning by claim (AWS IoT "Device provisioning MQTT API",
 *        https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html).
 *
 * Sequence: connect with the claim certificate → subscribe to the accepted/rejected replies →
 * generate an EC P-256 key and publish its CSR to $aws/certificates/create-from-csr/json →
 * publish {certificateOwnershipToken, parameters: {SerialNumber}} to
 * $aws/provisioning-templates/<template>/provision/json → store thing name, certificate and key as
 * one atomic record → FLEET_PROVISIONING_DONE (the caller reconnects as the thing).
 * A rejection, a timeout or a lost connection waits a backoff delay (never a hot loop), logs the
 * reason, and starts again with a new key.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/backoff.h"
#include "fleet/config.h"
#include "fleet/credentials.h"
#include "fleet/json.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How long to wait for a reply before giving up on the attempt. */
#ifndef FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS
#define FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS (30 * 1000)
#endif

/** Template names are at most 36 characters in AWS IoT. */
#define FLEET_TEMPLATE_NAME_MAX_LENGTH 36

/** Where the state machine is. */
enum fleet_provisioning_state {
  FLEET_PROVISIONING_IDLE,
  FLEET_PROVISIONING_CONNECTING,        /**< Claim connection requested. */
  FLEET_PROVISIONING_AWAIT_CERTIFICATE, /**< CSR published. */
  FLEET_PROVISIONING_AWAIT_THING,       /**< RegisterThing published. */
  FLEET_PROVISIONING_BACKOFF,           /**< Waiting before the next attempt. */
  FLEET_PROVISIONING_DONE,              /**< Credentials stored. */
};

/** State and fixed buffers of one provisioning run (~6 KB). */
struct fleet_provisioning {
  enum fleet_provisioning_state state;
  char template_name[FLEET_TEMPLATE_NAME_MAX_LENGTH + 1];
  char serial[FLEET_SERIAL_MAX_LENGTH + 1];
  char client_id[FLEET_THING_NAME_MAX_LENGTH + 1]; /**< MQTT client id while claiming. */
  struct fleet_credentials creds;                  /**< Filled as the replies arrive. */
  char token[FLEET_OWNERSHIP_TOKEN_MAX_LENGTH + 1];
  char reason[FLEET_REASON_MAX_LENGTH + 1]; /**< Why the last attempt failed. */
  uint64_t deadline_ms;                     /**< Reply timeout or end of backoff. */
  struct fleet_backoff backoff;
  uint32_t attempts;
};

/**
 * Begin provisioning: connects with the claim identity.
 *
 * @param p State.
 * @param template_name Provisioning template name.
 * @param serial Serial number, sent as the SerialNumber parameter.
 * @param client_id MQTT client id of the claim connection: the claim policy allows
 *        "<thingNamePrefix>-*" (infra/claim-policy-document.ts), so pass "<prefix>-<serial>".
 * @param now_ms Current monotonic time.
 * @return FLEET_OK, FLEET_ERR_INVALID_ARG, or the MQTT port's error (then backing off).
 */
enum fleet_status fleet_provisioning_start(struct fleet_provisioning *p, const char *template_name,
                                           const char *serial, const char *client_id,
                                           uint64_t now_ms);

/**
 * The claim connection is up: subscribe, make the key and publish the CSR.
 *
 * @param p State.
 * @param now_ms Current time.
 */
void fleet_provisioning_on_connected(struct fleet_provisioning *p, uint64_t now_ms);

/**
 * The connection failed or dropped.
 *
 * @param p State.
 * @param status Why.
 * @param now_ms Current time.
 */
void fleet_provisioning_on_disconnected(struct fleet_provisioning *p, enum fleet_status status,
                                        uint64_t now_ms);

/**
 * A message arrived.
 *
 * @param p State.
 * @param topic NUL-terminated topic.
 * @param doc Parsed JSON payload, or NULL if the payload was not JSON.
 * @param now_ms Current time.
 * @return true if the topic belonged to provisioning.
 */
bool fleet_provisioning_on_message(struct fleet_provisioning *p, const char *topic,
                                   const struct fleet_json *doc, uint64_t now_ms);

/**
 * Advance timers: a reply timeout starts a backoff; an expired backoff reconnects.
 *
 * @param p State.
 * @param now_ms Current time.
 */
void fleet_provisioning_tick(struct fleet_provisioning *p, uint64_t now_ms);

#ifdef __cplusplus
}
#endif
