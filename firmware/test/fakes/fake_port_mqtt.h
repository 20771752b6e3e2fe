#pragma once

#include <stddef.h>

#include "fleet/port/mqtt.h"

#define FAKE_MQTT_MAX_RECORDS 32

/** One publish the core made. */
struct fake_mqtt_publish {
  char topic[256];
  char payload[8192];
  size_t len;
};

/** Forget all recorded calls and failures. */
void fake_port_mqtt_reset(void);
/** Number of fleet_port_mqtt_connect() calls; the last identity's client id and cert. */
unsigned fake_port_mqtt_connect_count(void);
const char *fake_port_mqtt_last_client_id(void);
int fake_port_mqtt_last_connect_was_claim(void);
unsigned fake_port_mqtt_disconnect_count(void);
/** Subscriptions in order. */
unsigned fake_port_mqtt_subscription_count(void);
const char *fake_port_mqtt_subscription(unsigned index);
/** Publishes in order. */
unsigned fake_port_mqtt_publish_count(void);
const struct fake_mqtt_publish *fake_port_mqtt_publish_at(unsigned index);
/** Make the next publish calls fail with @p status (FLEET_OK to stop). */
void fake_port_mqtt_set_publish_status(enum fleet_status status);
/** Call the core's on_connected callback. */
void fake_port_mqtt_connected(void);
/** Call the core's on_message callback now. */
void fake_port_mqtt_deliver(const char *topic, const char *payload);
/** Deliver a message at a later fleet_port_mqtt_dispatch(), after @p skip calls (e.g. during a
 * download). A NULL @p topic queues a reconnect (on_connected). */
void fake_port_mqtt_queue(const char *topic, const char *payload, unsigned skip);
