/* fleet-ota-bench: runs the device's OTA path alone — fleet_ota_download() over the POSIX ports
 * (HTTP GET, 4 KB writes into the flash file, SHA-256 with libcrypto and ECDSA verify with
 * mbedTLS, checkpoint records with fsync) — for one job document, and prints the elapsed time and
 * where it went (fleet_ota_bench_phases.h). No MQTT: it measures the download + verify part that
 * fleet-device runs for an OTA job
 * (scripts/bench/firmware-ota.bench.ts). fleet-ota-bench --job <job-document.json> --public-key
 * <pem> --state <dir> [--ca <pem>] (--ca: CA certificates for an https URL)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fleet/job_document.h"
#include "fleet/ota.h"
#include "fleet/port/device.h"
#include "fleet_ota_bench_phases.h"
#include "fleet_posix_config.h"
#include "fleet_posix_flash.h"
#include "fleet_posix_main.h"

static struct fleet_ota s_ota;
static struct fleet_job_document s_doc;
static struct fleet_json_token s_tokens[FLEET_CONFIG_JSON_MAX_TOKENS];
static char s_text[8192];

void fleet_posix_reboot(void) {
  exit(0);
}

int main(int argc, char **argv) {
  const char *job = NULL;
  const char *key = NULL;
  const char *state = NULL;
  const char *ca = "";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--job") == 0)
      job = argv[i + 1];
    if (strcmp(argv[i], "--public-key") == 0)
      key = argv[i + 1];
    if (strcmp(argv[i], "--state") == 0)
      state = argv[i + 1];
    if (strcmp(argv[i], "--ca") == 0)
      ca = argv[i + 1];
  }
  if (job == NULL || key == NULL || state == NULL) {
    fprintf(stderr,
            "usage: fleet-ota-bench --job <json> --public-key <pem> --state <dir> [--ca <pem>]\n");
    return 2;
  }
  if (mkdir(state, 0700) != 0 && errno != EEXIST)
    return 2;
  struct fleet_posix_config config;
  memset(&config, 0, sizeof(config));
  snprintf(config.state_dir, sizeof(config.state_dir), "%s", state);
  snprintf(config.public_key_file, sizeof(config.public_key_file), "%s", key);
  snprintf(config.http_ca_file, sizeof(config.http_ca_file), "%s", ca);
  strcpy(config.firmware_version, "0.0.1");
  config.slot_size = 8 * 1024 * 1024;
  fleet_posix_config_set(&config);
  FILE *f = fopen(job, "rb");
  if (f == NULL)
    return 2;
  size_t len = fread(s_text, 1, sizeof(s_text), f);
  fclose(f);
  struct fleet_json doc;
  const char *bad = NULL;
  if (fleet_json_parse(&doc, s_text, len, s_tokens, FLEET_CONFIG_JSON_MAX_TOKENS, NULL) !=
          FLEET_OK ||
      fleet_job_document_parse(&doc, 0, &s_doc, &bad) != FLEET_OK) {
    fprintf(stderr, "fleet-ota-bench: bad job document (%s)\n", bad != NULL ? bad : "JSON");
    return 2;
  }
  fleet_posix_http_init();
  if (fleet_posix_flash_boot() != FLEET_OK)
    return 1;
  char version[33];
  uint32_t secure = 0;
  fleet_port_device_app_version(version, sizeof(version), &secure);
  struct fleet_ota_device_facts facts = {
      .chip_id = s_doc.chip_id,
      .running_version = version,
      .running_secure_version = secure,
      .public_key_pem = fleet_port_device_firmware_public_key(),
  };
  struct timespec t0;
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  enum fleet_status status = fleet_ota_download(&s_ota, "bench", &s_doc, &facts, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"status\":\"%s\",\"bytes\":%u,\"seconds\":%.6f,\"phases\":{",
         fleet_status_to_str(status), (unsigned)s_doc.size, seconds);
  fleet_ota_bench_phases_print(stdout);
  printf("}}\n");
  return status == FLEET_OK ? 0 : 1;
}
