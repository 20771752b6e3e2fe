/**
 * @file port/log.h
 * @brief Port interface: log output.
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/** Severity of a log line. */
enum fleet_log_level {
  FLEET_LOG_LEVEL_ERROR,
  FLEET_LOG_LEVEL_WARN,
  FLEET_LOG_LEVEL_INFO,
  FLEET_LOG_LEVEL_DEBUG,
};

/**
 * Write one log line (no trailing newline in @p fmt).
 *
 * @param level Severity.
 * @param tag Module name, e.g. "fleet_ota" (the ESP-IDF port passes it to ESP_LOGx).
 * @param fmt printf format.
 */
void fleet_port_log(enum fleet_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
