#include "fleet/status.h"

const char *fleet_status_to_str(enum fleet_status status) {
  switch (status) {
#define FLEET_STATUS_CASE(name, value, text) \
  case name:                                 \
    return text;
    FLEET_STATUS_LIST(FLEET_STATUS_CASE)
#undef FLEET_STATUS_CASE
  }
  return "unknown status";
}
