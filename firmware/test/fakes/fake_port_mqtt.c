/* MQTT port fake: records what the core asks for, so tests assert on topics and payloads. */
#include "fake_port_mqtt.h"

#include <stdio.h>
#include <string.h>

static unsigned s_connects;
static unsigned s_disconnects;
static char s_client_id[256];
static int s_claim;
static char s_subscriptions[FAKE_MQTT_MAX_RECORDS][256];
static unsigned s_subscription_count;
static struct fake_mqtt_publish s_publishes[FAKE_MQTT_MAX_RECORDS];
static unsigned s_publish_count;
static enum fleet_status s_publish_status;
static struct fleet_mqtt_callbacks s_callbacks;
static struct {
  char topic[256];
  char payload[8192];
} s_queue[8];
static unsigned s_queued;
static unsigned s_queue_skip;

void fake_port_mqtt_reset(void) {
  s_connects = s_disconnects = s_subscription_count = s_publish_count = 0;
  s_client_id[0] = '\0';
  s_claim = 0;
  s_publish_status = FLEET_OK;
  s_queued = 0;
}

unsigned fake_port_mqtt_connect_count(void) {
  return s_connects;
}
const char *fake_port_mqtt_last_client_id(void) {
  return s_client_id;
}
int fake_port_mqtt_last_connect_was_claim(void) {
  return s_claim;
}
unsigned fake_port_mqtt_disconnect_count(void) {
  return s_disconnects;
}
unsigned fake_port_mqtt_subscription_count(void) {
  return s_subscription_count;
}
const char *fake_port_mqtt_subscription(unsigned index) {
  return s_subscriptions[index];
}
unsigned fake_port_mqtt_publish_count(void) {
  return s_publish_count;
}
const struct fake_mqtt_publish *fake_port_mqtt_publish_at(unsigned index) {
  return &s_publishes[index];
}
void fake_port_mqtt_set_publish_status(enum fleet_status status) {
  s_publish_status = status;
}

void fleet_port_mqtt_set_callbacks(const struct fleet_mqtt_callbacks *callbacks) {
  s_callbacks = *callbacks;
}

void fake_port_mqtt_connected(void) {
  s_callbacks.on_connected(s_callbacks.ctx);
}

void fake_port_mqtt_deliver(const char *topic, const char *payload) {
  s_callbacks.on_message(s_callbacks.ctx, topic, strlen(topic), (const uint8_t *)payload,
                         strlen(payload));
}

void fake_port_mqtt_queue(const char *topic, const char *payload, unsigned skip) {
  s_queue_skip = skip;
  if (s_queued < 8) {
    snprintf(s_queue[s_queued].topic, sizeof(s_queue[0].topic), "%s", topic ? topic : "");
    snprintf(s_queue[s_queued].payload, sizeof(s_queue[0].payload), "%s", payload ? payload : "");
    s_queued++;
  }
}

enum fleet_status fleet_port_mqtt_connect(const struct fleet_mqtt_identity *identity) {
  s_connects++;
  snprintf(s_client_id, sizeof(s_client_id), "%s", identity->client_id);
  s_claim = identity->cert_pem == NULL;
  return FLEET_OK;
}

enum fleet_status fleet_port_mqtt_disconnect(void) {
  s_disconnects++;
  return FLEET_OK;
}

enum fleet_status fleet_port_mqtt_subscribe(const char *topic) {
  if (s_subscription_count < FAKE_MQTT_MAX_RECORDS) {
    snprintf(s_subscriptions[s_subscription_count++], 256, "%s", topic);
  }
  return FLEET_OK;
}

enum fleet_status fleet_port_mqtt_publish(const char *topic, const void *payload, size_t len) {
  if (s_publish_status != FLEET_OK)
    return s_publish_status;
  if (s_publish_count < FAKE_MQTT_MAX_RECORDS && len < sizeof(s_publishes[0].payload)) {
    struct fake_mqtt_publish *p = &s_publishes[s_publish_count++];
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    memcpy(p->payload, payload, len);
    p->payload[len] = '\0';
    p->len = len;
  }
  return FLEET_OK;
}

void fleet_port_mqtt_dispatch(void) {
  if (s_queue_skip > 0) {
    s_queue_skip--;
    return;
  }
  for (unsigned i = 0; i < s_queued; i++) {
    if (s_queue[i].topic[0] == '\0') {
      fake_port_mqtt_connected(); /* a queued reconnect */
    } else {
      fake_port_mqtt_deliver(s_queue[i].topic, s_queue[i].payload);
    }
  }
  s_queued = 0;
}
