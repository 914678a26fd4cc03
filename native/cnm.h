/*
 * Shared declarations of the cnm native addon.
 *
 * The addon exists only because Node cannot open AF_NETLINK sockets nor call
 * setns/unshare. It does those system calls and nothing else: every netlink
 * message is encoded and decoded in TypeScript (src/linux/netlink/).
 */
#ifndef CNM_NATIVE_H
#define CNM_NATIVE_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

/* Path of the calling thread's own network namespace. setns() is per thread,
 * so /proc/self (the thread group leader) would be wrong in a threaded process. */
#define CNM_THREAD_NETNS "/proc/thread-self/ns/net"

/* Scratch buffer for one received datagram or file. One per Node environment
 * (main thread or worker), so workers using the addon never share it. */
#define CNM_SCRATCH_SIZE (64 * 1024)
char *cnm_scratch(napi_env env);

/* Throws a JS Error whose code is the errno name ("EEXIST") and whose message
 * is "<what>: <strerror> (<NAME>)". Always returns NULL for tail calls. */
napi_value cnm_throw_errno(napi_env env, int err, const char *what);

/* Argument readers: on a wrong type they throw a TypeError and return false. */
bool cnm_arg_int(napi_env env, napi_value v, const char *name, int32_t *out);
/* Copies a string into a malloc'd buffer (*out). null/undefined give *out = NULL
 * when optional is true. */
bool cnm_arg_string(napi_env env, napi_value v, const char *name, bool optional, char **out);
/* Fetches up to max arguments; missing ones are undefined. */
bool cnm_args(napi_env env, napi_callback_info info, size_t max, napi_value *argv);

/* Enters the network namespace at path on this thread; *saved receives an fd
 * of the namespace to return to. Returns 0 or an errno; *stage names the step
 * that failed so the error message can say which one. */
int cnm_ns_enter(const char *path, int *saved, const char **stage);
/* Returns to the namespace saved by cnm_ns_enter and closes its fd. Aborts the
 * process if that fails: a main thread stranded in a foreign namespace would
 * silently apply every later operation to the wrong network stack. */
void cnm_ns_leave(int saved);

napi_value cnm_init_socket(napi_env env, napi_value exports);
napi_value cnm_init_netns(napi_env env, napi_value exports);
napi_value cnm_init_subscribe(napi_env env, napi_value exports);
napi_value cnm_init_inet_socket(napi_env env, napi_value exports);

/* Adds a function property to exports. */
bool cnm_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

#endif
