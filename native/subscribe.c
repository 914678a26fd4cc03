/* Netlink multicast subscription: a thread blocks on a socket bound to
 * multicast groups and hands each datagram to JS through a threadsafe
 * function. stop() wakes the thread through an eventfd and joins it. */
#define _GNU_SOURCE
#include "cnm.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define SUB_BUFFER_SIZE (64 * 1024)

typedef struct {
  int fd;      /* netlink socket, owned by JS (closed there after stop) */
  int wakefd;  /* eventfd written by stop() */
  bool running;
  pthread_t thread;
  napi_threadsafe_function tsfn;
} subscription;

/* One delivery: a datagram, or an errno (ENOBUFS = the kernel dropped messages). */
typedef struct {
  int err;
  size_t len;
  char data[];
} delivery;

static void deliver(subscription *sub, int err, const char *data, size_t len) {
  delivery *d = malloc(sizeof *d + len);
  if (d == NULL) return;
  d->err = err;
  d->len = len;
  if (len > 0) memcpy(d->data, data, len);
  if (napi_call_threadsafe_function(sub->tsfn, d, napi_tsfn_blocking) != napi_ok) free(d);
}

static void *reader(void *arg) {
  subscription *sub = arg;
  char *buffer = malloc(SUB_BUFFER_SIZE);
  struct pollfd fds[2] = {{.fd = sub->fd, .events = POLLIN}, {.fd = sub->wakefd, .events = POLLIN}};
  while (buffer != NULL) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      deliver(sub, errno, NULL, 0);
      break;
    }
    if (fds[1].revents != 0) break;
    ssize_t n = recv(sub->fd, buffer, SUB_BUFFER_SIZE, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      deliver(sub, errno, NULL, 0);
      if (errno == ENOBUFS) continue; /* overrun: reported, the socket stays usable */
      break;
    }
    if (n > SUB_BUFFER_SIZE) deliver(sub, EMSGSIZE, NULL, 0);
    else deliver(sub, 0, buffer, (size_t)n);
  }
  free(buffer);
  return NULL;
}

/* Runs on the JS thread: callback(error | null, buffer | null). */
static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  delivery *d = data;
  if (env != NULL && callback != NULL) {
    napi_value args[2], undefined;
    napi_get_undefined(env, &undefined);
    napi_get_null(env, &args[0]);
    napi_get_null(env, &args[1]);
    if (d->err != 0) {
      cnm_throw_errno(env, d->err, "netlink subscription");
      napi_get_and_clear_last_exception(env, &args[0]);
    } else {
      napi_create_buffer_copy(env, d->len, d->data, NULL, &args[1]);
    }
    napi_call_function(env, undefined, callback, 2, args, NULL);
  }
  free(d);
}

static void stop(subscription *sub) {
  if (!sub->running) return;
  sub->running = false;
  uint64_t one = 1;
  ssize_t ignored = write(sub->wakefd, &one, sizeof one);
  (void)ignored;
  pthread_join(sub->thread, NULL);
  close(sub->wakefd);
  napi_release_threadsafe_function(sub->tsfn, napi_tsfn_release);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  stop(data);
  free(data);
}

/* subscribe(fd, callback, keepAlive) -> handle for unsubscribe() */
static napi_value sub_start(napi_env env, napi_callback_info info) {
  napi_value argv[3], name, handle;
  int32_t fd;
  bool keep_alive = true;
  if (!cnm_args(env, info, 3, argv) || !cnm_arg_int(env, argv[0], "fd", &fd)) return NULL;
  napi_get_value_bool(env, argv[2], &keep_alive);
  subscription *sub = calloc(1, sizeof *sub);
  if (sub == NULL) return cnm_throw_errno(env, ENOMEM, "netlink subscribe");
  sub->fd = fd;
  sub->wakefd = eventfd(0, EFD_CLOEXEC);
  if (sub->wakefd < 0) {
    free(sub);
    return cnm_throw_errno(env, errno, "netlink subscribe: eventfd");
  }
  napi_create_string_utf8(env, "cnm netlink subscription", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &sub->tsfn) !=
      napi_ok) {
    close(sub->wakefd);
    free(sub);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  if (!keep_alive) napi_unref_threadsafe_function(env, sub->tsfn);
  int err = pthread_create(&sub->thread, NULL, reader, sub);
  if (err != 0) {
    napi_release_threadsafe_function(sub->tsfn, napi_tsfn_abort);
    close(sub->wakefd);
    free(sub);
    return cnm_throw_errno(env, err, "netlink subscribe: thread");
  }
  sub->running = true;
  napi_create_external(env, sub, finalize, NULL, &handle);
  return handle;
}

/* unsubscribe(handle): stops and joins the reader; idempotent. */
static napi_value sub_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *sub;
  if (!cnm_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_external(env, argv[0], &sub) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "handle must come from subscribe()");
    return NULL;
  }
  stop(sub);
  return NULL;
}

napi_value cnm_init_subscribe(napi_env env, napi_value exports) {
  cnm_export(env, exports, "subscribe", sub_start);
  cnm_export(env, exports, "unsubscribe", sub_stop);
  return exports;
}
