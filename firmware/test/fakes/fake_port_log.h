#pragma once

#include "fleet/port/log.h"

/** Last line logged (formatted). */
const char *fake_port_log_last_line(void);
/** Number of error lines since the last reset. */
unsigned fake_port_log_error_count(void);
/** Forget what was logged. */
void fake_port_log_reset(void);
