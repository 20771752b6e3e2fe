/* fleet-device: a virtual ESP32 running fleet_core over the POSIX port.
 *   fleet-device --config <json> --state <dir>
 * A reboot re-executes the same binary with the same arguments; the "firmware" it then runs is
 * described by the app descriptor of the image in the active slot of <state>/flash.bin.
 * SIGKILL stands in for a power cut; SIGINT/SIGTERM stop it cleanly. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fleet/device.h"
#include "fleet/port/log.h"
#include "fleet/port/mqtt.h"
#include "fleet_posix_config.h"
#include "fleet_posix_flash.h"
#include "fleet_posix_main.h"

static char **s_argv;
static volatile sig_atomic_t s_stop;
static struct fleet_device s_device; /* ~20 KB of fixed state, outside the heap */

static void prv_on_signal(int sig) {
  (void)sig;
  s_stop = 1;
}

void fleet_posix_reboot(void) {
  fflush(NULL);
  fleet_port_log(FLEET_LOG_LEVEL_INFO, "fleet_posix", "rebooting");
  (void)fleet_port_mqtt_disconnect();
  if (getenv("FLEET_DEVICE_EXIT_ON_REBOOT") != NULL) {
    /* Measurements (valgrind massif) end at the reboot: an exec would discard their output. */
    fleet_port_log(FLEET_LOG_LEVEL_INFO, "fleet_posix", "FLEET_DEVICE_EXIT_ON_REBOOT: exiting");
    exit(0);
  }
  execv("/proc/self/exe", s_argv);
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, "fleet_posix", "execv failed: %s", strerror(errno));
  exit(70);
}

static void prv_usage(void) {
  fprintf(stderr,
          "usage: fleet-device --config <json> --state <dir>\n"
          "  --config  device configuration: mqtt, claim and provisioningTemplate as in\n"
          "            local-cloud.json, plus \"device\" (serial, firmwarePublicKeyFile, ...)\n"
          "  --state   directory for the flash file (two OTA slots + otadata) and the records\n"
          "            (credentials, OTA progress); created if missing\n"
          "environment: FLEET_DEVICE_EXIT_ON_REBOOT=1 exits instead of rebooting (measurements)\n");
}

int main(int argc, char **argv) {
  s_argv = argv;
  const char *config_path = NULL;
  const char *state_dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
      state_dir = argv[++i];
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      prv_usage();
      return 0;
    } else {
      fprintf(stderr, "fleet-device: unknown argument \"%s\"\n", argv[i]);
      prv_usage();
      return 2;
    }
  }
  if (config_path == NULL || state_dir == NULL) {
    prv_usage();
    return 2;
  }
  if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "fleet-device: cannot create state dir %s: %s\n", state_dir, strerror(errno));
    return 2;
  }
  struct fleet_posix_config config;
  if (fleet_posix_config_load(config_path, state_dir, &config) != FLEET_OK)
    return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = prv_on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  fleet_posix_http_init();
  if (fleet_posix_flash_boot() != FLEET_OK)
    return 1;
  struct fleet_device_config device_config = {
      .provisioning_template = config.provisioning_template,
      .thing_name_prefix = config.thing_name_prefix,
      .verify_timeout_ms = config.verify_timeout_ms,
  };
  enum fleet_status status = fleet_device_init(&s_device, &device_config);
  if (status != FLEET_OK) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, "fleet_posix", "start failed: %s",
                   fleet_status_to_str(status));
    return 1;
  }
  const struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
  while (!s_stop) {
    if (!fleet_device_step(&s_device)) {
      fleet_posix_reboot();
    }
    nanosleep(&tick, NULL);
  }
  (void)fleet_port_mqtt_disconnect();
  fleet_port_log(FLEET_LOG_LEVEL_INFO, "fleet_posix", "stopped");
  return 0;
}
