#include "fleet/provisioning.h"

#include <stdio.h>
#include <string.h>

#include "fleet/port/clock.h"
#include "fleet/port/crypto.h"
#include "fleet/port/mqtt.h"

#define FLEET_LOG_TAG "fleet_prov"
#include "fleet/log.h"

/* Reserved topics (fleet-provision-api.html, payload format json). */
#define PRV_CSR_TOPIC "$aws/certificates/create-from-csr/json"
#define PRV_CSR_ACCEPTED PRV_CSR_TOPIC "/accepted"
#define PRV_CSR_REJECTED PRV_CSR_TOPIC "/rejected"
#define PRV_PROVISION_FMT "$aws/provisioning-templates/%s/provision/json%s"

/* Publish payloads: a CSR PEM is ~500 bytes, the ownership token up to ~1 KB. */
static char s_payload[FLEET_CSR_PEM_MAX_LENGTH + FLEET_OWNERSHIP_TOKEN_MAX_LENGTH + 256];

static void prv_fail(struct fleet_provisioning *p, const char *reason, uint64_t now_ms) {
  snprintf(p->reason, sizeof(p->reason), "%s", reason);
  uint32_t delay = fleet_backoff_next_delay_ms(&p->backoff, fleet_port_random_u32());
  FLEET_LOG_ERROR("provisioning attempt %u failed: %s; retrying in %u ms", (unsigned)p->attempts,
                  p->reason, (unsigned)delay);
  (void)fleet_port_mqtt_disconnect();
  memset(&p->creds, 0, sizeof(p->creds)); /* the next attempt makes a new key */
  p->token[0] = '\0';
  p->state = FLEET_PROVISIONING_BACKOFF;
  p->deadline_ms = now_ms + delay;
}

static void prv_connect(struct fleet_provisioning *p, uint64_t now_ms) {
  p->attempts++;
  struct fleet_mqtt_identity claim = {.client_id = p->client_id, .cert_pem = NULL, .key_pem = NULL};
  p->state = FLEET_PROVISIONING_CONNECTING;
  p->deadline_ms = now_ms + FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS;
  enum fleet_status status = fleet_port_mqtt_connect(&claim);
  if (status != FLEET_OK) {
    prv_fail(p, fleet_status_to_str(status), now_ms);
  }
}

enum fleet_status fleet_provisioning_start(struct fleet_provisioning *p, const char *template_name,
                                           const char *serial, const char *client_id,
                                           uint64_t now_ms) {
  if (p == NULL || template_name == NULL || serial == NULL || serial[0] == '\0' ||
      strlen(template_name) > FLEET_TEMPLATE_NAME_MAX_LENGTH ||
      strlen(serial) > FLEET_SERIAL_MAX_LENGTH || client_id == NULL || client_id[0] == '\0' ||
      strlen(client_id) > FLEET_THING_NAME_MAX_LENGTH) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(p, 0, sizeof(*p));
  strcpy(p->template_name, template_name);
  strcpy(p->serial, serial);
  strcpy(p->client_id, client_id);
  FLEET_LOG_INFO("no device certificate: provisioning by claim with template %s, serial %s",
                 template_name, serial);
  prv_connect(p, now_ms);
  return FLEET_OK;
}

static enum fleet_status prv_subscribe_all(struct fleet_provisioning *p) {
  char topic[FLEET_TOPIC_MAX_LENGTH];
  FLEET_RETURN_IF_ERROR(fleet_port_mqtt_subscribe(PRV_CSR_ACCEPTED));
  FLEET_RETURN_IF_ERROR(fleet_port_mqtt_subscribe(PRV_CSR_REJECTED));
  snprintf(topic, sizeof(topic), PRV_PROVISION_FMT, p->template_name, "/accepted");
  FLEET_RETURN_IF_ERROR(fleet_port_mqtt_subscribe(topic));
  snprintf(topic, sizeof(topic), PRV_PROVISION_FMT, p->template_name, "/rejected");
  return fleet_port_mqtt_subscribe(topic);
}

static enum fleet_status prv_publish_csr(struct fleet_provisioning *p) {
  char csr[FLEET_CSR_PEM_MAX_LENGTH];
  FLEET_RETURN_IF_ERROR(fleet_port_crypto_generate_key_and_csr(
      p->serial, p->creds.key_pem, sizeof(p->creds.key_pem), csr, sizeof(csr)));
  struct fleet_json_writer w;
  fleet_json_writer_init(&w, s_payload, sizeof(s_payload));
  fleet_json_write_raw(&w, "{\"certificateSigningRequest\":");
  fleet_json_write_string(&w, csr, strlen(csr));
  fleet_json_write_raw(&w, "}");
  FLEET_RETURN_IF_ERROR(fleet_json_writer_finish(&w));
  return fleet_port_mqtt_publish(PRV_CSR_TOPIC, s_payload, w.len);
}

void fleet_provisioning_on_connected(struct fleet_provisioning *p, uint64_t now_ms) {
  if (p->state != FLEET_PROVISIONING_CONNECTING) {
    return;
  }
  /* Subscribe before publishing: replies go only to subscribers (fleet-provision-api.html). */
  enum fleet_status status = prv_subscribe_all(p);
  if (status == FLEET_OK)
    status = prv_publish_csr(p);
  if (status != FLEET_OK) {
    prv_fail(p, fleet_status_to_str(status), now_ms);
    return;
  }
  p->state = FLEET_PROVISIONING_AWAIT_CERTIFICATE;
  p->deadline_ms = now_ms + FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS;
}

void fleet_provisioning_on_disconnected(struct fleet_provisioning *p, enum fleet_status status,
                                        uint64_t now_ms) {
  if (p->state == FLEET_PROVISIONING_IDLE || p->state == FLEET_PROVISIONING_BACKOFF ||
      p->state == FLEET_PROVISIONING_DONE) {
    return;
  }
  char reason[FLEET_REASON_MAX_LENGTH + 1];
  snprintf(reason, sizeof(reason), "connection lost: %s", fleet_status_to_str(status));
  prv_fail(p, reason, now_ms);
}

/* The rejected payload: {"statusCode":400,"errorCode":"...","errorMessage":"..."}. */
static void prv_rejected(struct fleet_provisioning *p, const char *what,
                         const struct fleet_json *doc, uint64_t now_ms) {
  char code[32] = "unknown";
  char message[FLEET_REASON_MAX_LENGTH + 1] = "";
  if (doc != NULL) {
    (void)fleet_json_get_string(doc, fleet_json_find(doc, 0, "errorCode"), code, sizeof(code),
                                NULL);
    (void)fleet_json_get_string(doc, fleet_json_find(doc, 0, "errorMessage"), message,
                                sizeof(message), NULL);
  }
  char reason[FLEET_REASON_MAX_LENGTH + 1];
  snprintf(reason, sizeof(reason), "%s rejected: %s %s", what, code, message);
  prv_fail(p, reason, now_ms);
}

static void prv_certificate_accepted(struct fleet_provisioning *p, const struct fleet_json *doc,
                                     uint64_t now_ms) {
  if (doc == NULL ||
      fleet_json_get_string(doc, fleet_json_find(doc, 0, "certificatePem"), p->creds.cert_pem,
                            sizeof(p->creds.cert_pem), NULL) != FLEET_OK ||
      fleet_json_get_string(doc, fleet_json_find(doc, 0, "certificateOwnershipToken"), p->token,
                            sizeof(p->token), NULL) != FLEET_OK) {
    prv_fail(p, "create-from-csr reply lacks certificatePem or certificateOwnershipToken", now_ms);
    return;
  }
  char topic[FLEET_TOPIC_MAX_LENGTH];
  snprintf(topic, sizeof(topic), PRV_PROVISION_FMT, p->template_name, "");
  struct fleet_json_writer w;
  fleet_json_writer_init(&w, s_payload, sizeof(s_payload));
  fleet_json_write_raw(&w, "{\"certificateOwnershipToken\":");
  fleet_json_write_string(&w, p->token, strlen(p->token));
  fleet_json_write_raw(&w, ",\"parameters\":{\"SerialNumber\":");
  fleet_json_write_string(&w, p->serial, strlen(p->serial));
  fleet_json_write_raw(&w, "}}");
  enum fleet_status status = fleet_json_writer_finish(&w);
  if (status == FLEET_OK)
    status = fleet_port_mqtt_publish(topic, s_payload, w.len);
  if (status != FLEET_OK) {
    prv_fail(p, fleet_status_to_str(status), now_ms);
    return;
  }
  p->state = FLEET_PROVISIONING_AWAIT_THING;
  p->deadline_ms = now_ms + FLEET_CONFIG_PROVISIONING_REPLY_TIMEOUT_MS;
}

static void prv_thing_accepted(struct fleet_provisioning *p, const struct fleet_json *doc,
                               uint64_t now_ms) {
  if (doc == NULL ||
      fleet_json_get_string(doc, fleet_json_find(doc, 0, "thingName"), p->creds.thing_name,
                            sizeof(p->creds.thing_name), NULL) != FLEET_OK ||
      p->creds.thing_name[0] == '\0') {
    prv_fail(p, "provision reply lacks thingName", now_ms);
    return;
  }
  enum fleet_status status = fleet_credentials_store(&p->creds, s_payload, sizeof(s_payload));
  if (status != FLEET_OK) {
    prv_fail(p, "storing the credentials failed", now_ms);
    return;
  }
  FLEET_LOG_INFO("provisioned as thing %s after %u attempt(s)", p->creds.thing_name,
                 (unsigned)p->attempts);
  fleet_backoff_reset(&p->backoff);
  p->state = FLEET_PROVISIONING_DONE;
  (void)fleet_port_mqtt_disconnect();
}

bool fleet_provisioning_on_message(struct fleet_provisioning *p, const char *topic,
                                   const struct fleet_json *doc, uint64_t now_ms) {
  char accepted[FLEET_TOPIC_MAX_LENGTH];
  char rejected[FLEET_TOPIC_MAX_LENGTH];
  snprintf(accepted, sizeof(accepted), PRV_PROVISION_FMT, p->template_name, "/accepted");
  snprintf(rejected, sizeof(rejected), PRV_PROVISION_FMT, p->template_name, "/rejected");
  bool csr_accepted = strcmp(topic, PRV_CSR_ACCEPTED) == 0;
  bool csr_rejected = strcmp(topic, PRV_CSR_REJECTED) == 0;
  bool thing_accepted = strcmp(topic, accepted) == 0;
  bool thing_rejected = strcmp(topic, rejected) == 0;
  if (!csr_accepted && !csr_rejected && !thing_accepted && !thing_rejected) {
    return false;
  }
  /* A reply that does not fit the current step is stale (an earlier attempt's): ignore it. */
  if (p->state == FLEET_PROVISIONING_AWAIT_CERTIFICATE && csr_accepted) {
    prv_certificate_accepted(p, doc, now_ms);
  } else if (p->state == FLEET_PROVISIONING_AWAIT_CERTIFICATE && csr_rejected) {
    prv_rejected(p, "CreateCertificateFromCsr", doc, now_ms);
  } else if (p->state == FLEET_PROVISIONING_AWAIT_THING && thing_accepted) {
    prv_thing_accepted(p, doc, now_ms);
  } else if (p->state == FLEET_PROVISIONING_AWAIT_THING && thing_rejected) {
    prv_rejected(p, "RegisterThing", doc, now_ms);
  } else {
    FLEET_LOG_WARN("ignoring %s in provisioning state %d", topic, (int)p->state);
  }
  return true;
}

void fleet_provisioning_tick(struct fleet_provisioning *p, uint64_t now_ms) {
  if (now_ms < p->deadline_ms) {
    return;
  }
  switch (p->state) {
    case FLEET_PROVISIONING_CONNECTING:
    case FLEET_PROVISIONING_AWAIT_CERTIFICATE:
    case FLEET_PROVISIONING_AWAIT_THING:
      prv_fail(p, "no reply within the timeout", now_ms);
      break;
    case FLEET_PROVISIONING_BACKOFF:
      prv_connect(p, now_ms);
      break;
    default:
      break;
  }
}
