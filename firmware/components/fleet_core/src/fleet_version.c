#include "fleet/version.h"

#include <string.h>

#define FLEET_LOG_TAG "fleet_version"
#include "fleet/log.h"

static int prv_is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int prv_is_ident_char(char c) {
  return prv_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Numeric identifier: no leading zero (semver 2.0.0 item 2), fits in u32. */
static enum fleet_status prv_parse_number(const char *s, size_t len, size_t *pos, uint32_t *out) {
  size_t start = *pos;
  uint64_t value = 0;
  while (*pos < len && prv_is_digit(s[*pos])) {
    value = value * 10u + (uint64_t)(s[*pos] - '0');
    if (value > UINT32_MAX) {
      return FLEET_ERR_VERSION_FORMAT;
    }
    (*pos)++;
  }
  size_t digits = *pos - start;
  if (digits == 0 || (digits > 1 && s[start] == '0')) {
    return FLEET_ERR_VERSION_FORMAT;
  }
  *out = (uint32_t)value;
  return FLEET_OK;
}

/* Dot-separated identifiers, none empty. */
static enum fleet_status prv_check_identifiers(const char *s, size_t len) {
  size_t ident_len = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') {
      if (ident_len == 0) {
        return FLEET_ERR_VERSION_FORMAT;
      }
      ident_len = 0;
    } else if (prv_is_ident_char(s[i])) {
      ident_len++;
    } else {
      return FLEET_ERR_VERSION_FORMAT;
    }
  }
  return ident_len == 0 ? FLEET_ERR_VERSION_FORMAT : FLEET_OK;
}

enum fleet_status fleet_version_parse(const char *str, size_t len, struct fleet_version *out) {
  if (str == NULL || out == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(out, 0, sizeof(*out));
  size_t pos = 0;
  if (len > 0 && str[0] == 'v') {
    pos = 1;
  }
  FLEET_RETURN_IF_ERROR(prv_parse_number(str, len, &pos, &out->major));
  if (pos >= len || str[pos++] != '.') {
    return FLEET_ERR_VERSION_FORMAT;
  }
  FLEET_RETURN_IF_ERROR(prv_parse_number(str, len, &pos, &out->minor));
  if (pos >= len || str[pos++] != '.') {
    return FLEET_ERR_VERSION_FORMAT;
  }
  FLEET_RETURN_IF_ERROR(prv_parse_number(str, len, &pos, &out->patch));
  size_t build = len;
  for (size_t i = pos; i < len; i++) {
    if (str[i] == '+') {
      build = i;
      break;
    }
  }
  if (build < len) {
    FLEET_RETURN_IF_ERROR(prv_check_identifiers(str + build + 1, len - build - 1));
  }
  if (pos < build) {
    if (str[pos] != '-') {
      return FLEET_ERR_VERSION_FORMAT;
    }
    out->prerelease = str + pos + 1;
    out->prerelease_len = build - pos - 1;
    FLEET_RETURN_IF_ERROR(prv_check_identifiers(out->prerelease, out->prerelease_len));
  }
  return FLEET_OK;
}

static int prv_cmp_u32(uint32_t a, uint32_t b) {
  return (a > b) - (a < b);
}

static int prv_all_digits(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (!prv_is_digit(s[i])) {
      return 0;
    }
  }
  return 1;
}

/* One prerelease identifier against another (semver 2.0.0 item 11.4). */
static int prv_cmp_identifier(const char *a, size_t a_len, const char *b, size_t b_len) {
  int a_num = prv_all_digits(a, a_len);
  int b_num = prv_all_digits(b, b_len);
  if (a_num && b_num) {
    if (a_len != b_len) {
      return a_len < b_len ? -1 : 1; /* no leading zeros: longer is larger */
    }
    return memcmp(a, b, a_len) < 0 ? -1 : (memcmp(a, b, a_len) > 0);
  }
  if (a_num != b_num) {
    return a_num ? -1 : 1; /* numeric identifiers sort before alphanumeric ones */
  }
  size_t n = a_len < b_len ? a_len : b_len;
  int c = memcmp(a, b, n);
  if (c != 0) {
    return c < 0 ? -1 : 1;
  }
  return prv_cmp_u32((uint32_t)a_len, (uint32_t)b_len);
}

int fleet_version_compare(const struct fleet_version *a, const struct fleet_version *b) {
  int c = prv_cmp_u32(a->major, b->major);
  if (c == 0)
    c = prv_cmp_u32(a->minor, b->minor);
  if (c == 0)
    c = prv_cmp_u32(a->patch, b->patch);
  if (c != 0) {
    return c;
  }
  if (a->prerelease == NULL || b->prerelease == NULL) {
    /* A release has higher precedence than any of its prereleases. */
    return (a->prerelease == NULL) - (b->prerelease == NULL);
  }
  size_t ia = 0;
  size_t ib = 0;
  while (ia < a->prerelease_len && ib < b->prerelease_len) {
    size_t ea = ia;
    size_t eb = ib;
    while (ea < a->prerelease_len && a->prerelease[ea] != '.')
      ea++;
    while (eb < b->prerelease_len && b->prerelease[eb] != '.')
      eb++;
    c = prv_cmp_identifier(a->prerelease + ia, ea - ia, b->prerelease + ib, eb - ib);
    if (c != 0) {
      return c;
    }
    ia = ea + 1;
    ib = eb + 1;
  }
  /* A larger set of identifiers has higher precedence when all before are equal. */
  return (ia < a->prerelease_len) - (ib < b->prerelease_len);
}

enum fleet_status fleet_version_policy_check(const struct fleet_version_policy_input *in) {
  if (in == NULL || in->running_version == NULL || in->candidate_version == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  uint32_t min_secure = in->running_secure_version > in->secure_version_floor
                            ? in->running_secure_version
                            : in->secure_version_floor;
  if (in->candidate_secure_version < min_secure) {
    FLEET_LOG_ERROR("secure_version %u below minimum %u (running %u, eFuse %u)",
                    (unsigned)in->candidate_secure_version, (unsigned)min_secure,
                    (unsigned)in->running_secure_version, (unsigned)in->secure_version_floor);
    return FLEET_ERR_SECURE_VERSION;
  }
  struct fleet_version candidate;
  if (fleet_version_parse(in->candidate_version, strlen(in->candidate_version), &candidate) !=
      FLEET_OK) {
    FLEET_LOG_ERROR("candidate version \"%s\" is not a semantic version", in->candidate_version);
    return FLEET_ERR_VERSION_FORMAT;
  }
  struct fleet_version running;
  if (fleet_version_parse(in->running_version, strlen(in->running_version), &running) != FLEET_OK) {
    FLEET_LOG_WARN("running version \"%s\" is not semver; accepting %s", in->running_version,
                   in->candidate_version);
    return FLEET_OK;
  }
  if (fleet_version_compare(&candidate, &running) <= 0) {
    FLEET_LOG_ERROR("version %s is not newer than running %s", in->candidate_version,
                    in->running_version);
    return FLEET_ERR_VERSION_NOT_NEWER;
  }
  return FLEET_OK;
}
