/* Log port: one line per call on stderr, with a monotonic timestamp, level and tag. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "fleet/port/log.h"

void fleet_port_log(enum fleet_log_level level, const char *tag, const char *fmt, ...) {
  static const char kLevels[] = {'E', 'W', 'I', 'D'};
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof(line), fmt, args);
  va_end(args);
  fprintf(stderr, "%c (%lld.%03ld) %s: %s\n", kLevels[level], (long long)ts.tv_sec,
          ts.tv_nsec / 1000000, tag, line);
}
