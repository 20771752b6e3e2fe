/* MQTT port over libmosquitto: MQTT 3.1.1 over TLS with a client certificate, network loop on
 * libmosquitto's thread; events are queued and delivered by fleet_port_mqtt_dispatch() on the
 * core's thread. Each connect makes a new client (the identity changes from claim to thing). */
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/config.h"
#include "fleet/port/device.h"
#include "fleet/port/log.h"
#include "fleet/port/mqtt.h"
#include "fleet_posix_config.h"

#define PRV_TAG "fleet_mqtt"
#define PRV_QUEUE_LENGTH 8
#define PRV_KEEPALIVE_S 60

enum prv_event_kind { PRV_CONNECTED, PRV_DISCONNECTED, PRV_MESSAGE };

struct prv_event {
  enum prv_event_kind kind;
  unsigned generation;
  enum fleet_status status;
  char topic[FLEET_TOPIC_MAX_LENGTH];
  uint8_t payload[FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH];
  size_t payload_len;
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prv_event s_queue[PRV_QUEUE_LENGTH];
static unsigned s_head;
static unsigned s_count;
static unsigned s_generation;
static struct mosquitto *s_mosq;
static struct fleet_mqtt_callbacks s_callbacks;
static int s_lib_ready;
static unsigned s_dropped;

/* Called on libmosquitto's thread: returns a slot to fill, or NULL when the queue is full. */
static struct prv_event *prv_push_locked(enum prv_event_kind kind, unsigned generation) {
  if (s_count == PRV_QUEUE_LENGTH) {
    s_dropped++;
    return NULL;
  }
  struct prv_event *e = &s_queue[(s_head + s_count) % PRV_QUEUE_LENGTH];
  s_count++;
  e->kind = kind;
  e->generation = generation;
  e->status = FLEET_OK;
  e->payload_len = 0;
  e->topic[0] = '\0';
  return e;
}

static void prv_on_connect(struct mosquitto *mosq, void *obj, int rc) {
  (void)mosq;
  unsigned generation = (unsigned)(uintptr_t)obj;
  pthread_mutex_lock(&s_lock);
  struct prv_event *e = prv_push_locked(rc == 0 ? PRV_CONNECTED : PRV_DISCONNECTED, generation);
  if (e != NULL && rc != 0)
    e->status = FLEET_ERR_REJECTED;
  pthread_mutex_unlock(&s_lock);
  if (rc != 0) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "CONNACK refused: %s",
                   mosquitto_connack_string(rc));
  }
}

static void prv_on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
  (void)mosq;
  pthread_mutex_lock(&s_lock);
  struct prv_event *e = prv_push_locked(PRV_DISCONNECTED, (unsigned)(uintptr_t)obj);
  if (e != NULL)
    e->status = FLEET_ERR_NETWORK;
  pthread_mutex_unlock(&s_lock);
  fleet_port_log(FLEET_LOG_LEVEL_WARN, PRV_TAG, "disconnected: %s", mosquitto_strerror(rc));
}

static void prv_on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m) {
  (void)mosq;
  if (strlen(m->topic) >= FLEET_TOPIC_MAX_LENGTH ||
      (size_t)m->payloadlen > FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "dropping %d-byte message on %s: over %d bytes",
                   m->payloadlen, m->topic, FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH);
    return;
  }
  pthread_mutex_lock(&s_lock);
  struct prv_event *e = prv_push_locked(PRV_MESSAGE, (unsigned)(uintptr_t)obj);
  if (e != NULL) {
    strcpy(e->topic, m->topic);
    memcpy(e->payload, m->payload, (size_t)m->payloadlen);
    e->payload_len = (size_t)m->payloadlen;
  }
  pthread_mutex_unlock(&s_lock);
}

void fleet_port_mqtt_set_callbacks(const struct fleet_mqtt_callbacks *callbacks) {
  s_callbacks = *callbacks;
}

void fleet_port_mqtt_dispatch(void) {
  static struct prv_event s_event; /* one at a time, outside the lock */
  for (;;) {
    pthread_mutex_lock(&s_lock);
    if (s_count == 0) {
      unsigned dropped = s_dropped;
      s_dropped = 0;
      pthread_mutex_unlock(&s_lock);
      if (dropped > 0) {
        fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "%u events dropped (queue full)", dropped);
      }
      return;
    }
    s_event = s_queue[s_head];
    s_head = (s_head + 1) % PRV_QUEUE_LENGTH;
    s_count--;
    unsigned current = s_generation;
    pthread_mutex_unlock(&s_lock);
    if (s_event.generation != current)
      continue; /* from a client already closed */
    switch (s_event.kind) {
      case PRV_CONNECTED:
        if (s_callbacks.on_connected)
          s_callbacks.on_connected(s_callbacks.ctx);
        break;
      case PRV_DISCONNECTED:
        if (s_callbacks.on_disconnected) {
          s_callbacks.on_disconnected(s_callbacks.ctx, s_event.status);
        }
        break;
      case PRV_MESSAGE:
        if (s_callbacks.on_message) {
          s_callbacks.on_message(s_callbacks.ctx, s_event.topic, strlen(s_event.topic),
                                 s_event.payload, s_event.payload_len);
        }
        break;
    }
  }
}

static void prv_close(void) {
  if (s_mosq == NULL)
    return;
  pthread_mutex_lock(&s_lock);
  s_generation++; /* events of the old client are dropped */
  pthread_mutex_unlock(&s_lock);
  mosquitto_disconnect(s_mosq);
  mosquitto_loop_stop(s_mosq, true);
  mosquitto_destroy(s_mosq);
  s_mosq = NULL;
}

/* libmosquitto reads certificates from files: write the thing's PEMs (0600) to the state dir. */
static int prv_write_pem(const char *name, const char *pem, char *path, size_t size) {
  snprintf(path, size, "%s/tls-%s.pem", fleet_posix_config()->state_dir, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return 0;
  chmod(path, 0600);
  int ok = fputs(pem, f) >= 0;
  return fclose(f) == 0 && ok;
}

enum fleet_status fleet_port_mqtt_connect(const struct fleet_mqtt_identity *identity) {
  const struct fleet_posix_config *cfg = fleet_posix_config();
  prv_close();
  if (cfg->fault_no_connect_version[0] != '\0') {
    char version[33];
    uint32_t secure_version = 0;
    if (fleet_port_device_app_version(version, sizeof(version), &secure_version) == FLEET_OK &&
        strcmp(version, cfg->fault_no_connect_version) == 0) {
      fleet_port_log(FLEET_LOG_LEVEL_WARN, PRV_TAG,
                     "fault injection: app %s cannot reach the endpoint", version);
      return FLEET_ERR_NETWORK;
    }
  }
  if (!s_lib_ready) {
    mosquitto_lib_init();
    s_lib_ready = 1;
  }
  char cert_path[FLEET_POSIX_PATH_MAX];
  char key_path[FLEET_POSIX_PATH_MAX];
  if (identity->cert_pem == NULL) {
    snprintf(cert_path, sizeof(cert_path), "%s", cfg->claim_cert_file);
    snprintf(key_path, sizeof(key_path), "%s", cfg->claim_key_file);
  } else if (!prv_write_pem("cert", identity->cert_pem, cert_path, sizeof(cert_path)) ||
             !prv_write_pem("key", identity->key_pem, key_path, sizeof(key_path))) {
    return FLEET_ERR_IO;
  }
  pthread_mutex_lock(&s_lock);
  unsigned generation = ++s_generation;
  pthread_mutex_unlock(&s_lock);
  s_mosq = mosquitto_new(identity->client_id, true, (void *)(uintptr_t)generation);
  if (s_mosq == NULL)
    return FLEET_ERR_PLATFORM_BASE;
  mosquitto_int_option(s_mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(s_mosq, prv_on_connect);
  mosquitto_disconnect_callback_set(s_mosq, prv_on_disconnect);
  mosquitto_message_callback_set(s_mosq, prv_on_message);
  int rc = mosquitto_tls_set(s_mosq, cfg->ca_file, NULL, cert_path, key_path, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_tls_opts_set(s_mosq, 1, "tlsv1.2", NULL);
  if (rc == MOSQ_ERR_SUCCESS) {
    rc = mosquitto_connect_async(s_mosq, cfg->mqtt_host, cfg->mqtt_port, PRV_KEEPALIVE_S);
  }
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_loop_start(s_mosq);
  if (rc != MOSQ_ERR_SUCCESS) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "connect to %s:%d as %s: %s", cfg->mqtt_host,
                   cfg->mqtt_port, identity->client_id, mosquitto_strerror(rc));
    prv_close();
    return FLEET_ERR_NETWORK;
  }
  fleet_port_log(FLEET_LOG_LEVEL_INFO, PRV_TAG, "connecting to %s:%d as %s (%s)", cfg->mqtt_host,
                 cfg->mqtt_port, identity->client_id,
                 identity->cert_pem == NULL ? "claim certificate" : "device certificate");
  return FLEET_OK;
}

enum fleet_status fleet_port_mqtt_disconnect(void) {
  prv_close();
  return FLEET_OK;
}

enum fleet_status fleet_port_mqtt_subscribe(const char *topic) {
  if (s_mosq == NULL)
    return FLEET_ERR_NETWORK;
  int rc = mosquitto_subscribe(s_mosq, NULL, topic, 1);
  return rc == MOSQ_ERR_SUCCESS ? FLEET_OK : FLEET_ERR_NETWORK;
}

enum fleet_status fleet_port_mqtt_publish(const char *topic, const void *payload, size_t len) {
  if (s_mosq == NULL)
    return FLEET_ERR_NETWORK;
  int rc = mosquitto_publish(s_mosq, NULL, topic, (int)len, payload, 1, false);
  if (rc != MOSQ_ERR_SUCCESS) {
    fleet_port_log(FLEET_LOG_LEVEL_WARN, PRV_TAG, "publish to %s: %s", topic,
                   mosquitto_strerror(rc));
    return FLEET_ERR_NETWORK;
  }
  return FLEET_OK;
}
