/* HTTP port over esp_http_client: open with an optional Range header, read the status and
 * Content-Range (response headers arrive as HTTP_EVENT_ON_HEADER events), then stream the body. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "esp_http_client.h"
#include "fleet/port/http.h"
#include "fleet/port/log.h"

extern const char root_ca_pem_start[] asm("_binary_root_ca_pem_start");

static char s_content_range[96];
static int s_has_content_range;
static uint8_t s_buf[2048];

static esp_err_t prv_on_event(esp_http_client_event_t *evt) {
  if (evt->event_id == HTTP_EVENT_ON_HEADER && strcasecmp(evt->header_key, "Content-Range") == 0) {
    snprintf(s_content_range, sizeof(s_content_range), "%s", evt->header_value);
    s_has_content_range = 1;
  }
  return ESP_OK;
}

enum fleet_status fleet_port_http_get(const char *url, const char *range,
                                      const struct fleet_http_response_handler *handler) {
  esp_http_client_config_t config = {
      .url = url,
      .cert_pem = root_ca_pem_start,
      .timeout_ms = 30000,
      .event_handler = prv_on_event,
      .buffer_size = sizeof(s_buf),
  };
  s_has_content_range = 0;
  esp_http_client_handle_t client = esp_http_client_init(&config);
  if (client == NULL)
    return FLEET_ERR_PLATFORM_BASE;
  if (range != NULL)
    esp_http_client_set_header(client, "Range", range);
  enum fleet_status status = FLEET_ERR_NETWORK;
  if (esp_http_client_open(client, 0) == ESP_OK) {
    int64_t length = esp_http_client_fetch_headers(client);
    status = handler->on_headers(handler->ctx, esp_http_client_get_status_code(client),
                                 s_has_content_range ? s_content_range : NULL,
                                 length >= 0 ? (uint64_t)length : UINT64_MAX);
    while (status == FLEET_OK) {
      int n = esp_http_client_read(client, (char *)s_buf, sizeof(s_buf));
      if (n < 0) {
        status = FLEET_ERR_NETWORK;
      } else if (n == 0) {
        status = esp_http_client_is_complete_data_received(client) ? FLEET_OK : FLEET_ERR_NETWORK;
        break;
      } else {
        status = handler->on_body(handler->ctx, s_buf, (size_t)n);
      }
    }
  }
  esp_http_client_close(client);
  esp_http_client_cleanup(client);
  return status;
}
