/* Module entry point and the helpers every part of the addon shares. */
#define _GNU_SOURCE
#include "cnm.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

napi_value cnm_throw_errno(napi_env env, int err, const char *what) {
  const char *name = strerrorname_np(err);
  if (name == NULL) name = "EUNKNOWN";
  char text[768];
  snprintf(text, sizeof text, "%s: %s (%s)", what, strerror(err), name);
  napi_value code, message, error, number;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &number);
  napi_set_named_property(env, error, "errno", number);
  napi_throw(env, error);
  return NULL;
}

static bool type_error(napi_env env, const char *name, const char *expected) {
  char text[128];
  snprintf(text, sizeof text, "%s must be %s", name, expected);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", text);
  return false;
}

bool cnm_args(napi_env env, napi_callback_info info, size_t max, napi_value *argv) {
  size_t argc = max;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok;
}

bool cnm_arg_int(napi_env env, napi_value v, const char *name, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) return type_error(env, name, "a number");
  return true;
}

bool cnm_arg_string(napi_env env, napi_value v, const char *name, bool optional, char **out) {
  *out = NULL;
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (optional && (type == napi_undefined || type == napi_null)) return true;
  if (type != napi_string) return type_error(env, name, "a string");
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  *out = malloc(len + 1);
  if (*out == NULL) return cnm_throw_errno(env, ENOMEM, name), false;
  napi_get_value_string_utf8(env, v, *out, len + 1, &len);
  if (strlen(*out) != len) {  /* an embedded NUL would silently cut a path short */
    free(*out);
    *out = NULL;
    return type_error(env, name, "a string without NUL characters");
  }
  return true;
}

int cnm_ns_enter(const char *path, int *saved, const char **stage) {
  *stage = "open " CNM_THREAD_NETNS;
  *saved = open(CNM_THREAD_NETNS, O_RDONLY | O_CLOEXEC);
  if (*saved < 0) return errno;
  *stage = "open namespace";
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(*saved);
    return err;
  }
  *stage = "setns";
  int rc = setns(target, CLONE_NEWNET);
  int err = errno;
  close(target);
  if (rc < 0) {
    close(*saved);
    return err;
  }
  return 0;
}

void cnm_ns_leave(int saved) {
  if (setns(saved, CLONE_NEWNET) < 0) {
    napi_fatal_error("cnm_native", NAPI_AUTO_LENGTH,
                     "cannot return to the original network namespace", NAPI_AUTO_LENGTH);
  }
  close(saved);
}

bool cnm_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) != napi_ok) return false;
  return napi_set_named_property(env, exports, name, f) == napi_ok;
}

/* strerror(errno) -> [name, message], so errors decoded from netlink replies
 * read exactly like the ones the C library and iproute2 print. */
static napi_value describe_errno(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, name, message;
  int32_t err;
  if (!cnm_args(env, info, 1, argv) || !cnm_arg_int(env, argv[0], "errno", &err)) return NULL;
  const char *n = strerrorname_np(err);
  napi_create_string_utf8(env, n ? n : "EUNKNOWN", NAPI_AUTO_LENGTH, &name);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message);
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, name);
  napi_set_element(env, result, 1, message);
  return result;
}

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

char *cnm_scratch(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

static napi_value init(napi_env env, napi_value exports) {
  char *scratch = malloc(CNM_SCRATCH_SIZE);
  if (scratch == NULL || napi_set_instance_data(env, scratch, free_scratch, NULL) != napi_ok) {
    free(scratch);
    return cnm_throw_errno(env, ENOMEM, "cnm_native init");
  }
  cnm_export(env, exports, "describeErrno", describe_errno);
  cnm_init_socket(env, exports);
  cnm_init_netns(env, exports);
  cnm_init_subscribe(env, exports);
  cnm_init_inet_socket(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
