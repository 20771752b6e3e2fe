/**
 * @file port/mqtt.h
 * @brief Port interface: one MQTT 3.1.1 connection over mutual TLS to the AWS IoT endpoint.
 *
 * Calls are asynchronous: connection results and messages come back through the callbacks the
 * port was given by fleet_port_mqtt_set_callbacks(), on the thread that runs the core (the POSIX
 * port queues them; esp-mqtt delivers them on its task, which the ESP-IDF port forwards).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Client identity for a connection. */
struct fleet_mqtt_identity {
  const char *client_id; /**< MQTT client id: the thing name, or the serial while claiming. */
  const char *cert_pem;  /**< Client certificate PEM; NULL means the built-in claim certificate. */
  const char *key_pem;   /**< Private key PEM; NULL means the claim key. */
};

/** Callbacks from the port into the core. */
struct fleet_mqtt_callbacks {
  /** The connection is up (CONNACK accepted). */
  void (*on_connected)(void *ctx);
  /** The connection is down or could not be made; @p status says why. */
  void (*on_disconnected)(void *ctx, enum fleet_status status);
  /** A message arrived on a subscribed topic. Buffers are valid during the call only. */
  void (*on_message)(void *ctx, const char *topic, size_t topic_len, const uint8_t *payload,
                     size_t payload_len);
  void *ctx;
};

/**
 * Register the callbacks (once, before connecting).
 *
 * @param callbacks Copied by the port.
 */
void fleet_port_mqtt_set_callbacks(const struct fleet_mqtt_callbacks *callbacks);

/**
 * Start connecting; the result arrives as on_connected or on_disconnected.
 *
 * @param identity Who to connect as; strings must stay valid until on_connected/on_disconnected.
 * @return FLEET_OK if the attempt started.
 */
enum fleet_status fleet_port_mqtt_connect(const struct fleet_mqtt_identity *identity);

/**
 * Close the connection (no on_disconnected for a requested close).
 *
 * @return FLEET_OK.
 */
enum fleet_status fleet_port_mqtt_disconnect(void);

/**
 * Subscribe with QoS 1.
 *
 * @param topic NUL-terminated topic filter.
 * @return FLEET_OK if queued.
 */
enum fleet_status fleet_port_mqtt_subscribe(const char *topic);

/**
 * Publish with QoS 1.
 *
 * @param topic NUL-terminated topic.
 * @param payload Bytes (copied by the port before returning).
 * @param len Length of @p payload.
 * @return FLEET_OK if queued; FLEET_ERR_NETWORK when not connected.
 */
enum fleet_status fleet_port_mqtt_publish(const char *topic, const void *payload, size_t len);

/**
 * Deliver queued connection events and messages to the callbacks now, on the calling thread.
 * The core calls it from its loop and while a download runs (to see a cancellation).
 */
void fleet_port_mqtt_dispatch(void);

#ifdef __cplusplus
}
#endif
