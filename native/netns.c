/* Named network namespaces compatible with `ip netns`, and file access from
 * inside a namespace (per-namespace sysctls under /proc/sys/net). */
#define _GNU_SOURCE
#include "cnm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes the directory holding namespace files a shared mount point, as
 * iproute2 does, so that namespace mounts made later propagate into mount
 * namespaces cloned from this one (`ip netns exec`, containers). */
static int prepare_run_dir(const char *dir) {
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) return errno;
  if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
  if (errno != EINVAL) return errno;
  /* EINVAL: not a mount point yet. Bind it onto itself once, then share it. */
  if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) return errno;
  if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) return errno;
  return 0;
}

/* netnsCreate(path): a new namespace kept alive by a bind mount on path. */
static napi_value netns_create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path = NULL, *dir_copy = NULL;
  char what[512];
  if (!cnm_args(env, info, 1, argv) || !cnm_arg_string(env, argv[0], "path", false, &path)) return NULL;
  dir_copy = strdup(path);
  int err = prepare_run_dir(dirname(dir_copy));
  if (err != 0) {
    snprintf(what, sizeof what, "netns create %s: prepare directory", path);
    goto fail;
  }
  /* O_EXCL: an existing namespace (or any file) at path is left untouched. */
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    snprintf(what, sizeof what, "netns create %s", path);
    goto fail;
  }
  close(fd);
  int saved = open(CNM_THREAD_NETNS, O_RDONLY | O_CLOEXEC);
  if (saved < 0) {
    err = errno;
    snprintf(what, sizeof what, "netns create %s: open " CNM_THREAD_NETNS, path);
    unlink(path);
    goto fail;
  }
  /* unshare() moves only this thread; the bind mount pins the new namespace
   * after we setns() back, which drops this thread's reference to it. */
  if (unshare(CLONE_NEWNET) < 0) {
    err = errno;
    close(saved);
    snprintf(what, sizeof what, "netns create %s: unshare", path);
    unlink(path);
    goto fail;
  }
  int rc = mount(CNM_THREAD_NETNS, path, "none", MS_BIND, NULL);
  err = errno;
  cnm_ns_leave(saved);
  if (rc < 0) {
    snprintf(what, sizeof what, "netns create %s: bind mount", path);
    unlink(path);
    goto fail;
  }
  free(path);
  free(dir_copy);
  return NULL;
fail:
  free(path);
  free(dir_copy);
  return cnm_throw_errno(env, err, what);
}

/* netnsDelete(path): detach the bind mount and remove the file. The namespace
 * itself lives on while a process or socket still uses it. */
static napi_value netns_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path = NULL;
  char what[512];
  if (!cnm_args(env, info, 1, argv) || !cnm_arg_string(env, argv[0], "path", false, &path)) return NULL;
  /* EINVAL means "not a mount point": a leftover of an interrupted create,
   * which unlink below still cleans. */
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) {
    int err = errno;
    snprintf(what, sizeof what, "netns delete %s: umount", path);
    free(path);
    return cnm_throw_errno(env, err, what);
  }
  if (unlink(path) < 0) {
    int err = errno;
    snprintf(what, sizeof what, "netns delete %s", path);
    free(path);
    return cnm_throw_errno(env, err, what);
  }
  free(path);
  return NULL;
}

/* Opens path with flags, inside ns_path when given. Returns fd or -errno. */
static int open_in(const char *ns_path, const char *path, int flags, const char **stage) {
  int saved = -1;
  if (ns_path != NULL) {
    int err = cnm_ns_enter(ns_path, &saved, stage);
    if (err != 0) return -err;
  }
  *stage = "open";
  int fd = open(path, flags | O_CLOEXEC);
  int err = errno;
  if (ns_path != NULL) cnm_ns_leave(saved);
  return fd < 0 ? -err : fd;
}

/* nsWriteFile(nsPath|null, path, text). Files under /proc/sys/net resolve to
 * the namespace of the opener; the open file stays bound to it after we leave. */
static napi_value ns_write_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char *ns_path = NULL, *path = NULL, *text = NULL;
  char what[768];
  const char *stage;
  int err = 0;
  if (!cnm_args(env, info, 3, argv) || !cnm_arg_string(env, argv[0], "nsPath", true, &ns_path) ||
      !cnm_arg_string(env, argv[1], "path", false, &path) ||
      !cnm_arg_string(env, argv[2], "text", false, &text))
    goto out;
  int fd = open_in(ns_path, path, O_WRONLY, &stage);
  if (fd < 0) {
    err = -fd;
  } else {
    stage = "write";
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    if (n < 0) err = errno;
    else if ((size_t)n != len) err = EIO;
    close(fd);
  }
  if (err != 0) {
    snprintf(what, sizeof what, "write %s%s%s: %s", path, ns_path ? " in " : "", ns_path ? ns_path : "", stage);
    cnm_throw_errno(env, err, what);
  }
out:
  free(ns_path);
  free(path);
  free(text);
  return NULL;
}

/* nsReadFile(nsPath|null, path) -> string (at most 64 KiB, plenty for sysctls) */
static napi_value ns_read_file(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL;
  char *ns_path = NULL, *path = NULL;
  char what[768];
  const char *stage;
  char *buffer = cnm_scratch(env);
  if (!cnm_args(env, info, 2, argv) || !cnm_arg_string(env, argv[0], "nsPath", true, &ns_path) ||
      !cnm_arg_string(env, argv[1], "path", false, &path))
    goto out;
  int err = 0;
  size_t total = 0;
  int fd = open_in(ns_path, path, O_RDONLY, &stage);
  if (fd < 0) {
    err = -fd;
  } else {
    stage = "read";
    ssize_t n;
    while (total < CNM_SCRATCH_SIZE && (n = read(fd, buffer + total, CNM_SCRATCH_SIZE - total)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      total += (size_t)n;
    }
    close(fd);
  }
  if (err != 0) {
    snprintf(what, sizeof what, "read %s%s%s: %s", path, ns_path ? " in " : "", ns_path ? ns_path : "", stage);
    cnm_throw_errno(env, err, what);
    goto out;
  }
  napi_create_string_utf8(env, buffer, total, &result);
out:
  free(ns_path);
  free(path);
  return result;
}

napi_value cnm_init_netns(napi_env env, napi_value exports) {
  cnm_export(env, exports, "netnsCreate", netns_create);
  cnm_export(env, exports, "netnsDelete", netns_delete);
  cnm_export(env, exports, "nsWriteFile", ns_write_file);
  cnm_export(env, exports, "nsReadFile", ns_read_file);
  return exports;
}
