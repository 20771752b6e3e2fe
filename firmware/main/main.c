/* esp32-fleet app entry: bring up Wi-Fi, then run the fleet core loop. */
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_wifi.h"
#include "fleet/device.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "freertos/task.h"
#include "nvs_flash.h"

static const char *TAG = "fleet_main";
static EventGroupHandle_t s_wifi_events;
#define WIFI_CONNECTED_BIT BIT0

/* ~20 KB of fixed state: static, so it is neither on the task stack nor on the heap. */
static struct fleet_device s_device;

static void prv_on_wifi_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)data;
  if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
    xEventGroupClearBits(s_wifi_events, WIFI_CONNECTED_BIT);
    esp_wifi_connect();
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    xEventGroupSetBits(s_wifi_events, WIFI_CONNECTED_BIT);
  }
}

static void prv_wifi_start(void) {
  s_wifi_events = xEventGroupCreate();
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  esp_netif_create_default_wifi_sta();
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_ERROR_CHECK(esp_wifi_init(&init));
  ESP_ERROR_CHECK(
      esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, prv_on_wifi_event, NULL));
  ESP_ERROR_CHECK(
      esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, prv_on_wifi_event, NULL));
  wifi_config_t config = {0};
  strncpy((char *)config.sta.ssid, CONFIG_FLEET_WIFI_SSID, sizeof(config.sta.ssid) - 1);
  strncpy((char *)config.sta.password, CONFIG_FLEET_WIFI_PASSWORD, sizeof(config.sta.password) - 1);
  ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
  ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &config));
  ESP_ERROR_CHECK(esp_wifi_start());
  xEventGroupWaitBits(s_wifi_events, WIFI_CONNECTED_BIT, pdFALSE, pdTRUE, portMAX_DELAY);
  ESP_LOGI(TAG, "Wi-Fi connected");
}

void app_main(void) {
  /* With CONFIG_NVS_ENCRYPTION, nvs_flash_init() reads the keys from the nvs_keys partition. */
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    ESP_ERROR_CHECK(nvs_flash_erase());
    err = nvs_flash_init();
  }
  ESP_ERROR_CHECK(err);
  prv_wifi_start();
  const struct fleet_device_config config = {
      .provisioning_template = CONFIG_FLEET_PROVISIONING_TEMPLATE,
      .thing_name_prefix = CONFIG_FLEET_THING_NAME_PREFIX,
  };
  enum fleet_status status = fleet_device_init(&s_device, &config);
  if (status != FLEET_OK) {
    ESP_LOGE(TAG, "fleet_device_init: %s", fleet_status_to_str(status));
    return;
  }
  for (;;) {
    if (!fleet_device_step(&s_device)) {
      esp_restart();
    }
    vTaskDelay(pdMS_TO_TICKS(20));
  }
}
