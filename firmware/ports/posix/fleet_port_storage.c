/* Storage port: one file per record in <state>/nvs/, replaced atomically:
 * write a temp file, fsync it, rename(2) over the record, fsync the directory. rename is atomic
 * on POSIX file systems, so after SIGKILL or a power cut the record is the old or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/port/log.h"
#include "fleet/port/storage.h"
#include "fleet_posix_config.h"

#define PRV_TAG "fleet_storage"

static int prv_path(const char *key, const char *suffix, char *out, size_t size) {
  if (strlen(key) > FLEET_STORAGE_KEY_MAX_LENGTH || strchr(key, '/') != NULL)
    return 0;
  return (size_t)snprintf(out, size, "%s/nvs/%s%s", fleet_posix_config()->state_dir, key, suffix) <
         size;
}

static enum fleet_status prv_errno(const char *what, const char *path) {
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "%s %s: %s", what, path, strerror(errno));
  return FLEET_ERR_IO;
}

enum fleet_status fleet_port_storage_read(const char *key, void *buf, size_t size,
                                          size_t *out_len) {
  char path[FLEET_POSIX_PATH_MAX];
  if (!prv_path(key, "", path, sizeof(path)))
    return FLEET_ERR_INVALID_ARG;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? FLEET_ERR_NOT_FOUND : prv_errno("open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return prv_errno("stat", path);
  }
  if ((size_t)st.st_size > size) {
    close(fd);
    return FLEET_ERR_BUFFER_TOO_SMALL;
  }
  size_t done = 0;
  while (done < (size_t)st.st_size) {
    ssize_t n = read(fd, (char *)buf + done, (size_t)st.st_size - done);
    if (n <= 0) {
      close(fd);
      return prv_errno("read", path);
    }
    done += (size_t)n;
  }
  close(fd);
  *out_len = done;
  return FLEET_OK;
}

static enum fleet_status prv_fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return prv_errno("open", dir);
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? FLEET_OK : prv_errno("fsync", dir);
}

enum fleet_status fleet_port_storage_write(const char *key, const void *data, size_t len) {
  char path[FLEET_POSIX_PATH_MAX];
  char tmp[FLEET_POSIX_PATH_MAX];
  char dir[FLEET_POSIX_PATH_MAX];
  if (!prv_path(key, "", path, sizeof(path)) || !prv_path(key, ".tmp", tmp, sizeof(tmp))) {
    return FLEET_ERR_INVALID_ARG;
  }
  snprintf(dir, sizeof(dir), "%s/nvs", fleet_posix_config()->state_dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return prv_errno("mkdir", dir);
  /* 0600: the records hold the device's private key (NVS is encrypted on the ESP32). */
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return prv_errno("open", tmp);
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, (const char *)data + done, len - done);
    if (n <= 0) {
      close(fd);
      unlink(tmp);
      return prv_errno("write", tmp);
    }
    done += (size_t)n;
  }
  if (fsync(fd) != 0) {
    close(fd);
    unlink(tmp);
    return prv_errno("fsync", tmp);
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    return prv_errno("rename", path);
  }
  return prv_fsync_dir(dir);
}

enum fleet_status fleet_port_storage_erase(const char *key) {
  char path[FLEET_POSIX_PATH_MAX];
  if (!prv_path(key, "", path, sizeof(path)))
    return FLEET_ERR_INVALID_ARG;
  if (unlink(path) != 0 && errno != ENOENT)
    return prv_errno("unlink", path);
  char dir[FLEET_POSIX_PATH_MAX];
  snprintf(dir, sizeof(dir), "%s/nvs", fleet_posix_config()->state_dir);
  return prv_fsync_dir(dir);
}
