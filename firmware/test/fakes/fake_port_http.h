#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/port/http.h"

/** Serve @p data (not copied) for every GET; honours Range with 206 unless told otherwise. */
void fake_port_http_serve(const uint8_t *data, size_t len);
/** Answer 200 with the whole body even to a Range request (as some servers do). */
void fake_port_http_ignore_range(int ignore);
/** Drop the connection after this many body bytes of the next response (0: never). */
void fake_port_http_drop_after(size_t bytes);
/** Range header of the last request ("" if none). */
const char *fake_port_http_last_range(void);
/** Number of requests. */
unsigned fake_port_http_request_count(void);
/** Total body bytes delivered. */
uint64_t fake_port_http_bytes_sent(void);
