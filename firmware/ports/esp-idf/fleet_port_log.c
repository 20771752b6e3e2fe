/* Log port: ESP_LOG with the core module as tag (Memfault memfault_platform_debug_log.c shape). */
#include <stdarg.h>
#include <stdio.h>

#include "esp_log.h"
#include "fleet/port/log.h"

void fleet_port_log(enum fleet_log_level level, const char *tag, const char *fmt, ...) {
  char line[256];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof(line), fmt, args);
  va_end(args);
  switch (level) {
    case FLEET_LOG_LEVEL_ERROR:
      ESP_LOGE(tag, "%s", line);
      break;
    case FLEET_LOG_LEVEL_WARN:
      ESP_LOGW(tag, "%s", line);
      break;
    case FLEET_LOG_LEVEL_INFO:
      ESP_LOGI(tag, "%s", line);
      break;
    default:
      ESP_LOGD(tag, "%s", line);
      break;
  }
}
