/* MQTT port over esp-mqtt (ESP-IDF v5 esp_mqtt_client_config_t layout). esp-mqtt runs its own
 * task; its events are copied into a small pool and handed to the core by
 * fleet_port_mqtt_dispatch() on the core's task. The claim certificate and key come from the
 * "claim" data partition (subtype 0x40): two NUL-terminated PEMs, certificate first. */
#include <string.h>

#include "esp_partition.h"
#include "fleet/config.h"
#include "fleet/port/log.h"
#include "fleet/port/mqtt.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "mqtt_client.h"
#include "sdkconfig.h"

#define PRV_TAG "fleet_mqtt"
#define PRV_POOL 4
#define PRV_CLAIM_SUBTYPE 0x40

extern const char root_ca_pem_start[] asm("_binary_root_ca_pem_start");

enum prv_kind { PRV_CONNECTED, PRV_DISCONNECTED, PRV_MESSAGE };

struct prv_event {
  enum prv_kind kind;
  char topic[FLEET_TOPIC_MAX_LENGTH];
  uint8_t payload[FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH];
  size_t payload_len;
};

static struct prv_event s_pool[PRV_POOL];
static QueueHandle_t s_free;
static QueueHandle_t s_ready;
static esp_mqtt_client_handle_t s_client;
static struct fleet_mqtt_callbacks s_callbacks;
static char s_claim[8192];

static void prv_on_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)base;
  esp_mqtt_event_handle_t event = data;
  uint8_t index;
  if (id != MQTT_EVENT_CONNECTED && id != MQTT_EVENT_DISCONNECTED && id != MQTT_EVENT_DATA)
    return;
  if (id == MQTT_EVENT_DATA &&
      (event->data_len != event->total_data_len || event->topic_len >= FLEET_TOPIC_MAX_LENGTH)) {
    /* CONFIG_MQTT_BUFFER_SIZE holds a whole message; a fragment means it was too large. */
    ESP_LOGE(PRV_TAG, "dropping a %d-byte message", event->total_data_len);
    return;
  }
  if (xQueueReceive(s_free, &index, 0) != pdTRUE) {
    ESP_LOGE(PRV_TAG, "event pool exhausted: event dropped");
    return;
  }
  struct prv_event *e = &s_pool[index];
  e->kind = id == MQTT_EVENT_CONNECTED      ? PRV_CONNECTED
            : id == MQTT_EVENT_DISCONNECTED ? PRV_DISCONNECTED
                                            : PRV_MESSAGE;
  e->payload_len = 0;
  if (e->kind == PRV_MESSAGE) {
    memcpy(e->topic, event->topic, (size_t)event->topic_len);
    e->topic[event->topic_len] = '\0';
    memcpy(e->payload, event->data, (size_t)event->data_len);
    e->payload_len = (size_t)event->data_len;
  }
  xQueueSend(s_ready, &index, 0);
}

void fleet_port_mqtt_set_callbacks(const struct fleet_mqtt_callbacks *callbacks) {
  s_callbacks = *callbacks;
  if (s_free == NULL) {
    s_free = xQueueCreate(PRV_POOL, sizeof(uint8_t));
    s_ready = xQueueCreate(PRV_POOL, sizeof(uint8_t));
    for (uint8_t i = 0; i < PRV_POOL; i++)
      xQueueSend(s_free, &i, 0);
  }
}

void fleet_port_mqtt_dispatch(void) {
  uint8_t index;
  while (s_ready != NULL && xQueueReceive(s_ready, &index, 0) == pdTRUE) {
    struct prv_event *e = &s_pool[index];
    if (e->kind == PRV_CONNECTED && s_callbacks.on_connected) {
      s_callbacks.on_connected(s_callbacks.ctx);
    } else if (e->kind == PRV_DISCONNECTED && s_callbacks.on_disconnected) {
      s_callbacks.on_disconnected(s_callbacks.ctx, FLEET_ERR_NETWORK);
    } else if (e->kind == PRV_MESSAGE && s_callbacks.on_message) {
      s_callbacks.on_message(s_callbacks.ctx, e->topic, strlen(e->topic), e->payload,
                             e->payload_len);
    }
    xQueueSend(s_free, &index, 0);
  }
}

static enum fleet_status prv_load_claim(const char **cert, const char **key) {
  const esp_partition_t *p = esp_partition_find_first(
      ESP_PARTITION_TYPE_DATA, (esp_partition_subtype_t)PRV_CLAIM_SUBTYPE, "claim");
  if (p == NULL || p->size > sizeof(s_claim) ||
      esp_partition_read(p, 0, s_claim, p->size) != ESP_OK) {
    return FLEET_ERR_NOT_FOUND;
  }
  s_claim[sizeof(s_claim) - 1] = '\0';
  *cert = s_claim;
  *key = s_claim + strlen(s_claim) + 1;
  return (*key < s_claim + sizeof(s_claim) && (*key)[0] != '\0') ? FLEET_OK : FLEET_ERR_PARSE;
}

enum fleet_status fleet_port_mqtt_connect(const struct fleet_mqtt_identity *identity) {
  (void)fleet_port_mqtt_disconnect();
  const char *cert = identity->cert_pem;
  const char *key = identity->key_pem;
  if (cert == NULL)
    FLEET_RETURN_IF_ERROR(prv_load_claim(&cert, &key));
  esp_mqtt_client_config_t config = {
      .broker.address.uri = CONFIG_FLEET_MQTT_URI,
      .broker.verification.certificate = root_ca_pem_start,
      .credentials.client_id = identity->client_id,
      .credentials.authentication.certificate = cert,
      .credentials.authentication.key = key,
      .session.keepalive = 60,
      .session.protocol_ver = MQTT_PROTOCOL_V_3_1_1,
      .network.disable_auto_reconnect = true, /* the core decides when to retry */
      .buffer.size = FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH,
  };
  s_client = esp_mqtt_client_init(&config);
  if (s_client == NULL)
    return FLEET_ERR_PLATFORM_BASE;
  esp_mqtt_client_register_event(s_client, ESP_EVENT_ANY_ID, prv_on_event, NULL);
  return esp_mqtt_client_start(s_client) == ESP_OK ? FLEET_OK : FLEET_ERR_NETWORK;
}

enum fleet_status fleet_port_mqtt_disconnect(void) {
  if (s_client != NULL) {
    esp_mqtt_client_stop(s_client);
    esp_mqtt_client_destroy(s_client);
    s_client = NULL;
    uint8_t index; /* events of the closed client are not delivered */
    while (s_ready != NULL && xQueueReceive(s_ready, &index, 0) == pdTRUE) {
      xQueueSend(s_free, &index, 0);
    }
  }
  return FLEET_OK;
}

enum fleet_status fleet_port_mqtt_subscribe(const char *topic) {
  if (s_client == NULL)
    return FLEET_ERR_NETWORK;
  return esp_mqtt_client_subscribe(s_client, topic, 1) >= 0 ? FLEET_OK : FLEET_ERR_NETWORK;
}

enum fleet_status fleet_port_mqtt_publish(const char *topic, const void *payload, size_t len) {
  if (s_client == NULL)
    return FLEET_ERR_NETWORK;
  return esp_mqtt_client_publish(s_client, topic, payload, (int)len, 1, 0) >= 0 ? FLEET_OK
                                                                                : FLEET_ERR_NETWORK;
}
