{
  "targets": [
    {
      "target_name": "cnm_native",
      "sources": ["native/addon.c", "native/socket.c", "native/netns.c", "native/subscribe.c", "native/inet_socket.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "libraries": ["-lpthread"]
    }
  ]
}
