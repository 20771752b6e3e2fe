/* Log port for unit tests: keeps the last line so tests can check the reason that was logged;
 * prints everything when FLEET_TEST_VERBOSE is set. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_port_log.h"

static char s_last_line[512];
static unsigned s_error_count;

void fleet_port_log(enum fleet_log_level level, const char *tag, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(s_last_line, sizeof(s_last_line), fmt, args);
  va_end(args);
  if (level == FLEET_LOG_LEVEL_ERROR)
    s_error_count++;
  if (getenv("FLEET_TEST_VERBOSE") != NULL)
    fprintf(stderr, "[%s] %s\n", tag, s_last_line);
}

const char *fake_port_log_last_line(void) {
  return s_last_line;
}

unsigned fake_port_log_error_count(void) {
  return s_error_count;
}

void fake_port_log_reset(void) {
  s_last_line[0] = '\0';
  s_error_count = 0;
}
