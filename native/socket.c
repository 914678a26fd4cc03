/* Netlink sockets: open (optionally inside a named namespace), send, recv, close.
 *
 * Calls are synchronous on purpose: rtnetlink requests serialise on the
 * kernel's rtnl_lock anyway, and a blocking call avoids a thread-pool round
 * trip per message on the attach hot path. A receive timeout bounds the wait. */
#define _GNU_SOURCE
#include "cnm.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The scratch buffer (64 KiB) holds any single datagram the kernel sends:
 * dump chunks are capped at 32 KiB, notifications are smaller. A larger one
 * is reported, not cut. */

/* Creates, configures and binds the socket in the current namespace. */
static int open_here(int protocol, const int32_t *groups, uint32_t ngroups, int rcvbuf,
                     int timeout_ms, const char **stage) {
  *stage = "socket";
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -errno;
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  *stage = "bind";
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) goto fail;
  /* Membership by setsockopt, not the bind mask, which only reaches groups 1..32. */
  *stage = "join multicast group";
  for (uint32_t i = 0; i < ngroups; i++) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof groups[i]) < 0) goto fail;
  }
  if (rcvbuf > 0) {
    /* FORCE passes net.core.rmem_max when privileged; fall back when not. */
    *stage = "set receive buffer";
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
      goto fail;
  }
  if (timeout_ms > 0) {
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    *stage = "set receive timeout";
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) goto fail;
  }
  /* Extended acks carry the kernel's own explanation of an error; capped acks
   * stop it echoing our whole request back. Both are best effort. */
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  return fd;
fail:;
  int err = errno;
  close(fd);
  return -err;
}

/* open(protocol, nsPath|null, groups: number[], rcvbuf, timeoutMs) -> fd */
static napi_value sock_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t protocol, rcvbuf, timeout_ms;
  char *ns_path = NULL;
  int32_t *groups = NULL;
  uint32_t ngroups = 0;
  napi_value result = NULL;
  if (!cnm_args(env, info, 5, argv) || !cnm_arg_int(env, argv[0], "protocol", &protocol) ||
      !cnm_arg_string(env, argv[1], "nsPath", true, &ns_path) ||
      !cnm_arg_int(env, argv[3], "rcvbuf", &rcvbuf) ||
      !cnm_arg_int(env, argv[4], "timeoutMs", &timeout_ms))
    goto out;
  if (napi_get_array_length(env, argv[2], &ngroups) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "groups must be an array");
    goto out;
  }
  groups = calloc(ngroups + 1, sizeof *groups);
  for (uint32_t i = 0; i < ngroups; i++) {
    napi_value g;
    napi_get_element(env, argv[2], i, &g);
    if (!cnm_arg_int(env, g, "group", &groups[i])) goto out;
  }
  const char *stage;
  char what[512];
  int saved = -1;
  if (ns_path != NULL) {
    int err = cnm_ns_enter(ns_path, &saved, &stage);
    if (err != 0) {
      snprintf(what, sizeof what, "netlink socket in %s: %s", ns_path, stage);
      cnm_throw_errno(env, err, what);
      goto out;
    }
  }
  /* A netlink socket stays bound to the namespace it was created in, so we can
   * leave at once and use it from here. */
  int fd = open_here(protocol, groups, ngroups, rcvbuf, timeout_ms, &stage);
  if (ns_path != NULL) cnm_ns_leave(saved);
  if (fd < 0) {
    snprintf(what, sizeof what, "netlink socket%s%s: %s", ns_path ? " in " : "", ns_path ? ns_path : "", stage);
    cnm_throw_errno(env, -fd, what);
    goto out;
  }
  napi_create_int32(env, fd, &result);
out:
  free(ns_path);
  free(groups);
  return result;
}

/* send(fd, buffer) -> bytes sent */
static napi_value sock_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t len;
  if (!cnm_args(env, info, 2, argv) || !cnm_arg_int(env, argv[0], "fd", &fd)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "message must be a Buffer");
    return NULL;
  }
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t n;
  do n = sendto(fd, data, len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return cnm_throw_errno(env, errno, "netlink send");
  napi_value result;
  napi_create_int64(env, n, &result);
  return result;
}

/* recv(fd) -> Buffer holding one datagram (possibly several netlink messages) */
static napi_value sock_recv(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!cnm_args(env, info, 1, argv) || !cnm_arg_int(env, argv[0], "fd", &fd)) return NULL;
  char *buffer = cnm_scratch(env);
  ssize_t n;
  do n = recv(fd, buffer, CNM_SCRATCH_SIZE, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return cnm_throw_errno(env, ETIMEDOUT, "netlink recv: no reply from the kernel within the receive timeout");
  if (n < 0) return cnm_throw_errno(env, errno, "netlink recv");
  if (n > CNM_SCRATCH_SIZE) return cnm_throw_errno(env, EMSGSIZE, "netlink recv: datagram larger than 64 KiB");
  napi_value result;
  napi_create_buffer_copy(env, (size_t)n, buffer, NULL, &result);
  return result;
}

/* close(fd) */
static napi_value sock_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!cnm_args(env, info, 1, argv) || !cnm_arg_int(env, argv[0], "fd", &fd)) return NULL;
  if (close(fd) < 0) return cnm_throw_errno(env, errno, "netlink close");
  return NULL;
}

napi_value cnm_init_socket(napi_env env, napi_value exports) {
  cnm_export(env, exports, "socketOpen", sock_open);
  cnm_export(env, exports, "socketSend", sock_send);
  cnm_export(env, exports, "socketRecv", sock_recv);
  cnm_export(env, exports, "socketClose", sock_close);
  return exports;
}
