/* An IP socket created inside a network namespace, for the embedded DNS.
 *
 * A socket belongs to the namespace it was created in for its whole life, so
 * the thread only has to stand in the namespace for socket() and bind(); the
 * fd is then handed to Node (dgram bind({fd}), net.Server listen({fd}),
 * net.Socket({fd})) and used from the host's namespace like any other. */
#define _GNU_SOURCE
#include "cnm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Fills *addr from text (NULL: the wildcard) and port. Returns 0 or EINVAL. */
static int make_address(int family, const char *text, int port, struct sockaddr_storage *addr, socklen_t *len) {
  memset(addr, 0, sizeof *addr);
  if (family == AF_INET) {
    struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    if (text != NULL && inet_pton(AF_INET, text, &in4->sin_addr) != 1) return EINVAL;
    *len = sizeof *in4;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    if (text != NULL && inet_pton(AF_INET6, text, &in6->sin6_addr) != 1) return EINVAL;
    *len = sizeof *in6;
  }
  return 0;
}

/* socket(), then bind() when address or port is given, then listen() when
 * backlog > 0. Returns the fd or -errno. */
static int open_here(int family, int type, const struct sockaddr_storage *addr, socklen_t len, bool bind_it,
                     int backlog, const char **stage) {
  *stage = "socket";
  int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  if (bind_it) {
    if (type == SOCK_STREAM) {
      /* A restarted resolver must not wait out TIME_WAIT of the last one. */
      int on = 1;
      *stage = "set SO_REUSEADDR";
      if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) goto fail;
    }
    *stage = "bind";
    if (bind(fd, (const struct sockaddr *)addr, len) < 0) goto fail;
  }
  if (backlog > 0) {
    *stage = "listen";
    if (listen(fd, backlog) < 0) goto fail;
  }
  return fd;
fail:;
  int err = errno;
  close(fd);
  return -err;
}

/* inetSocketOpen(nsPath|null, family 4|6, stream bool, address|null, port, backlog) -> fd */
static napi_value inet_socket_open(napi_env env, napi_callback_info info) {
  napi_value argv[6], result = NULL;
  char *ns_path = NULL, *address = NULL;
  int32_t family, port, backlog;
  bool stream = false;
  char what[640];
  if (!cnm_args(env, info, 6, argv) || !cnm_arg_string(env, argv[0], "nsPath", true, &ns_path) ||
      !cnm_arg_int(env, argv[1], "family", &family) || !cnm_arg_string(env, argv[3], "address", true, &address) ||
      !cnm_arg_int(env, argv[4], "port", &port) || !cnm_arg_int(env, argv[5], "backlog", &backlog))
    goto out;
  if (napi_get_value_bool(env, argv[2], &stream) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "stream must be a boolean");
    goto out;
  }
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || backlog < 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "family must be 4 or 6, port 0..65535, backlog >= 0");
    goto out;
  }
  int af = family == 4 ? AF_INET : AF_INET6;
  struct sockaddr_storage addr;
  socklen_t len = 0;
  if (make_address(af, address, port, &addr, &len) != 0) {
    snprintf(what, sizeof what, "socket address %s", address ? address : "");
    cnm_throw_errno(env, EINVAL, what);
    goto out;
  }
  const char *stage;
  int saved = -1;
  if (ns_path != NULL) {
    int err = cnm_ns_enter(ns_path, &saved, &stage);
    if (err != 0) {
      snprintf(what, sizeof what, "socket in %s: %s", ns_path, stage);
      cnm_throw_errno(env, err, what);
      goto out;
    }
  }
  int fd = open_here(af, stream ? SOCK_STREAM : SOCK_DGRAM, &addr, len, address != NULL || port != 0, backlog, &stage);
  if (ns_path != NULL) cnm_ns_leave(saved);
  if (fd < 0) {
    snprintf(what, sizeof what, "%s socket %s:%d%s%s: %s", stream ? "tcp" : "udp", address ? address : "*", port,
             ns_path ? " in " : "", ns_path ? ns_path : "", stage);
    cnm_throw_errno(env, -fd, what);
    goto out;
  }
  napi_create_int32(env, fd, &result);
out:
  free(ns_path);
  free(address);
  return result;
}

napi_value cnm_init_inet_socket(napi_env env, napi_value exports) {
  cnm_export(env, exports, "inetSocketOpen", inet_socket_open);
  return exports;
}
