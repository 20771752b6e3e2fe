/* OTA port over the flash file (fleet_posix_flash.h).
 *
 * Erase is lazy, as ESP-IDF's OTA_WITH_SEQUENTIAL_WRITES erases sector by sector as the writes
 * reach them: fleet_port_ota_begin() only notes the range; reads of it not yet written return
 * 0xFF, and a write that ends inside a sector fills the rest of the sector with 0xFF. So each byte
 * of an image is written to the file once, not twice.
 *
 * Every PRV_WRITEBACK_BYTES of writes, sync_file_range(SYNC_FILE_RANGE_WRITE) starts the kernel's
 * writeback of that window without waiting for it, so the fdatasync of a checkpoint or of the end
 * of the download waits for little more than the last window (Linux; elsewhere fdatasync alone). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/port/log.h"
#include "fleet/port/ota.h"
#include "fleet_posix_config.h"
#include "fleet_posix_flash.h"
#include "fleet_posix_main.h"

#define PRV_TAG "fleet_flash"
#define PRV_OTADATA_SIZE 4096u
#define PRV_OTADATA_MAGIC 0x4F544144u /* "OTAD" */
#define PRV_SECTOR 4096u
#define PRV_WRITEBACK_BYTES (256u * 1024u)

/* Slot states, as esp_ota_img_states_t. */
enum prv_slot_state {
  PRV_UNDEFINED = 0,
  PRV_NEW = 1,
  PRV_PENDING_VERIFY = 2,
  PRV_VALID = 3,
  PRV_INVALID = 4,
};

struct prv_otadata {
  uint32_t magic;
  uint32_t seq;
  uint8_t boot_slot;
  uint8_t state[2];
  uint8_t reserved;
  uint32_t crc;
};

static int s_fd = -1;
static uint8_t s_running;
static struct prv_otadata s_otadata;

/* The range fleet_port_ota_begin() erased that writes have not reached yet: [from, to) of slot. */
static struct {
  int slot; /* -1: none */
  uint64_t from;
  uint64_t to;
} s_erase = {.slot = -1};
/* Slot bytes written since writeback was last started, and where that window begins. */
static uint64_t s_writeback_from;
static uint64_t s_writeback_pending;
static uint8_t s_erased[PRV_SECTOR];

/* CRC-32 (IEEE 802.3, as zlib), bitwise: otadata is 12 bytes. */
static uint32_t prv_crc32(const uint8_t *data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static uint64_t prv_slot_offset(uint8_t slot) {
  return 2u * PRV_OTADATA_SIZE + (uint64_t)slot * fleet_posix_config()->slot_size;
}

static enum fleet_status prv_io_error(const char *what) {
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "%s: %s", what, strerror(errno));
  return FLEET_ERR_IO;
}

static int prv_pwrite_all(const void *data, size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(s_fd, (const char *)data + done, len - done, (off_t)(offset + done));
    if (n <= 0)
      return 0;
    done += (size_t)n;
  }
  return 1;
}

static int prv_pread_all(void *data, size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(s_fd, (char *)data + done, len - done, (off_t)(offset + done));
    if (n <= 0)
      return 0;
    done += (size_t)n;
  }
  return 1;
}

static int prv_otadata_valid(const struct prv_otadata *d) {
  return d->magic == PRV_OTADATA_MAGIC && d->boot_slot < 2 &&
         d->crc == prv_crc32((const uint8_t *)d, offsetof(struct prv_otadata, crc));
}

static enum fleet_status prv_otadata_save(void) {
  s_otadata.magic = PRV_OTADATA_MAGIC;
  s_otadata.seq++;
  s_otadata.crc = prv_crc32((const uint8_t *)&s_otadata, offsetof(struct prv_otadata, crc));
  uint64_t offset = (s_otadata.seq % 2u) * PRV_OTADATA_SIZE; /* alternate the two copies */
  if (!prv_pwrite_all(&s_otadata, sizeof(s_otadata), offset) || fdatasync(s_fd) != 0) {
    return prv_io_error("write otadata");
  }
  return FLEET_OK;
}

static enum fleet_status prv_create(const char *path) {
  const struct fleet_posix_config *cfg = fleet_posix_config();
  s_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s_fd < 0)
    return prv_io_error(path);
  if (ftruncate(s_fd, (off_t)prv_slot_offset(2)) != 0)
    return prv_io_error("size flash file");
  memset(&s_otadata, 0, sizeof(s_otadata));
  s_otadata.state[0] = PRV_VALID;
  if (cfg->firmware_image[0] != '\0') {
    /* The factory-programmed app: the configured image goes into slot 0. */
    FILE *f = fopen(cfg->firmware_image, "rb");
    if (f == NULL)
      return prv_io_error(cfg->firmware_image);
    static uint8_t buf[65536];
    uint64_t offset = prv_slot_offset(0);
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
      if (offset + n > prv_slot_offset(1) || !prv_pwrite_all(buf, n, offset)) {
        fclose(f);
        fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "%s does not fit slot 0",
                       cfg->firmware_image);
        return FLEET_ERR_IO;
      }
      offset += n;
    }
    fclose(f);
  }
  return prv_otadata_save();
}

enum fleet_status fleet_posix_flash_boot(void) {
  const struct fleet_posix_config *cfg = fleet_posix_config();
  char path[FLEET_POSIX_PATH_MAX];
  snprintf(path, sizeof(path), "%s/flash.bin", cfg->state_dir);
  if (s_fd >= 0) {
    close(s_fd); /* booting again in the same process (tests) */
    s_fd = -1;
  }
  s_erase.slot = -1;
  if (access(path, F_OK) != 0) {
    FLEET_RETURN_IF_ERROR(prv_create(path));
  } else {
    s_fd = open(path, O_RDWR | O_CLOEXEC);
    if (s_fd < 0)
      return prv_io_error(path);
    struct prv_otadata copies[2];
    if (!prv_pread_all(&copies[0], sizeof(copies[0]), 0) ||
        !prv_pread_all(&copies[1], sizeof(copies[1]), PRV_OTADATA_SIZE)) {
      return prv_io_error("read otadata");
    }
    int v0 = prv_otadata_valid(&copies[0]);
    int v1 = prv_otadata_valid(&copies[1]);
    if (!v0 && !v1) {
      fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "no valid otadata copy: booting slot 0");
      memset(&s_otadata, 0, sizeof(s_otadata));
      s_otadata.state[0] = PRV_VALID;
    } else {
      s_otadata = (v0 && (!v1 || copies[0].seq > copies[1].seq)) ? copies[0] : copies[1];
    }
  }
  uint8_t slot = s_otadata.boot_slot;
  if (s_otadata.state[slot] == PRV_PENDING_VERIFY) {
    /* The app booted before did not confirm itself: roll back (bootloader_utility.c). */
    fleet_port_log(FLEET_LOG_LEVEL_WARN, PRV_TAG,
                   "slot %u is still pending verify: marking it invalid, booting slot %u", slot,
                   1 - slot);
    s_otadata.state[slot] = PRV_INVALID;
    slot = (uint8_t)(1 - slot);
    s_otadata.boot_slot = slot;
    FLEET_RETURN_IF_ERROR(prv_otadata_save());
  } else if (s_otadata.state[slot] == PRV_NEW) {
    s_otadata.state[slot] = PRV_PENDING_VERIFY;
    FLEET_RETURN_IF_ERROR(prv_otadata_save());
  }
  s_running = slot;
  fleet_port_log(FLEET_LOG_LEVEL_INFO, PRV_TAG, "booting slot %u (state %u)", slot,
                 s_otadata.state[slot]);
  return FLEET_OK;
}

uint8_t fleet_port_ota_running_slot(void) {
  return s_running;
}

enum fleet_status fleet_port_ota_running_state(enum fleet_ota_image_state *state) {
  *state = s_otadata.state[s_running] == PRV_PENDING_VERIFY ? FLEET_OTA_IMAGE_PENDING_VERIFY
                                                            : FLEET_OTA_IMAGE_VALID;
  return FLEET_OK;
}

uint64_t fleet_port_ota_slot_size(uint8_t slot) {
  return slot < 2 ? fleet_posix_config()->slot_size : 0;
}

enum fleet_status fleet_port_ota_begin(uint8_t slot, uint64_t offset, uint64_t image_size) {
  uint64_t size = fleet_posix_config()->slot_size;
  if (slot > 1 || slot == s_running || offset > image_size || image_size > size) {
    return FLEET_ERR_INVALID_ARG;
  }
  /* Erase what the image needs from the resume offset on (lazily, see the top of the file). */
  s_erase.slot = slot;
  s_erase.from = offset - offset % PRV_SECTOR;
  s_erase.to = (image_size + PRV_SECTOR - 1) / PRV_SECTOR * PRV_SECTOR;
  if (s_erase.to > size)
    s_erase.to = size;
  s_writeback_from = prv_slot_offset(slot) + offset;
  s_writeback_pending = 0;
  if (s_otadata.state[slot] != PRV_UNDEFINED) {
    s_otadata.state[slot] = PRV_UNDEFINED; /* its old content is gone */
    FLEET_RETURN_IF_ERROR(prv_otadata_save());
  }
  return FLEET_OK;
}

/* Write 0xFF over [from, to) of the slot: the part of a pending erase a write skips over. */
static int prv_fill_erased(uint8_t slot, uint64_t from, uint64_t to) {
  if (s_erased[0] != 0xFF)
    memset(s_erased, 0xFF, sizeof(s_erased));
  for (uint64_t pos = from; pos < to; pos += sizeof(s_erased)) {
    size_t n = to - pos < sizeof(s_erased) ? (size_t)(to - pos) : sizeof(s_erased);
    if (!prv_pwrite_all(s_erased, n, prv_slot_offset(slot) + pos))
      return 0;
  }
  return 1;
}

/* Start writeback of the window written since the last call, once it is large enough. */
static void prv_writeback(uint64_t file_end) {
#ifdef SYNC_FILE_RANGE_WRITE
  if (s_writeback_pending < PRV_WRITEBACK_BYTES)
    return;
  (void)sync_file_range(s_fd, (off_t)s_writeback_from, (off_t)(file_end - s_writeback_from),
                        SYNC_FILE_RANGE_WRITE); /* a hint: fdatasync still decides durability */
  s_writeback_from = file_end;
  s_writeback_pending = 0;
#else
  (void)file_end;
#endif
}

enum fleet_status fleet_port_ota_write(uint8_t slot, uint64_t offset, const uint8_t *data,
                                       size_t len) {
  if (slot > 1 || slot == s_running || offset + len > fleet_posix_config()->slot_size) {
    return FLEET_ERR_INVALID_ARG;
  }
  uint64_t end = offset + len;
  if (s_erase.slot == slot && end > s_erase.from && offset < s_erase.to) {
    /* erase the sectors this write reaches: what it skips over, and the rest of its last sector */
    uint64_t sector_end = (end + PRV_SECTOR - 1) / PRV_SECTOR * PRV_SECTOR;
    if (sector_end > s_erase.to)
      sector_end = s_erase.to;
    if ((offset > s_erase.from && !prv_fill_erased(slot, s_erase.from, offset)) ||
        (sector_end > end && !prv_fill_erased(slot, end, sector_end))) {
      return prv_io_error("erase slot");
    }
    s_erase.from = sector_end;
  }
  if (!prv_pwrite_all(data, len, prv_slot_offset(slot) + offset))
    return prv_io_error("write slot");
  s_writeback_pending += len;
  prv_writeback(prv_slot_offset(slot) + end);
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_read(uint8_t slot, uint64_t offset, uint8_t *buf, size_t len) {
  if (slot > 1 || offset + len > fleet_posix_config()->slot_size)
    return FLEET_ERR_INVALID_ARG;
  if (!prv_pread_all(buf, len, prv_slot_offset(slot) + offset))
    return prv_io_error("read slot");
  if (s_erase.slot == slot) { /* erased but not yet written: reads as 0xFF */
    uint64_t from = offset > s_erase.from ? offset : s_erase.from;
    uint64_t to = offset + len < s_erase.to ? offset + len : s_erase.to;
    if (from < to)
      memset(buf + (from - offset), 0xFF, (size_t)(to - from));
  }
  return FLEET_OK;
}

enum fleet_status fleet_port_ota_flush(uint8_t slot) {
  (void)slot;
  return fdatasync(s_fd) == 0 ? FLEET_OK : prv_io_error("fdatasync");
}

enum fleet_status fleet_port_ota_set_boot_slot(uint8_t slot) {
  if (slot > 1 || slot == s_running)
    return FLEET_ERR_INVALID_ARG;
  s_otadata.boot_slot = slot;
  s_otadata.state[slot] = PRV_NEW;
  return prv_otadata_save();
}

enum fleet_status fleet_port_ota_mark_valid(void) {
  s_otadata.state[s_running] = PRV_VALID;
  return prv_otadata_save();
}

enum fleet_status fleet_port_ota_rollback_and_reboot(void) {
  s_otadata.state[s_running] = PRV_INVALID;
  s_otadata.boot_slot = (uint8_t)(1 - s_running);
  FLEET_RETURN_IF_ERROR(prv_otadata_save());
  fleet_port_system_reboot();
  return FLEET_ERR_PLATFORM_BASE;
}

void fleet_port_system_reboot(void) {
  fleet_posix_reboot();
}

/* Read the first bytes of the running slot (fleet_port_device.c). */
enum fleet_status fleet_posix_flash_read_running(uint8_t *buf, size_t len) {
  return fleet_port_ota_read(s_running, 0, buf, len);
}
