// Multicast link notifications delivered from the native reader thread.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NetlinkSubscription, decodeLink, nl, type Link } from "../../src/linux/index.js";
import { Cleanup, uniquePrefix } from "./helpers.js";

test("link events inside a namespace reach the callback; close stops them", async () => {
  const cleanup = new Cleanup();
  try {
    const path = cleanup.netns(uniquePrefix() + "ns");
    const h = cleanup.handle(path);
    const seen: { type: number; link: Link }[] = [];
    let wake: () => void = () => {};
    const sub = NetlinkSubscription.open({
      protocol: nl.NETLINK_ROUTE,
      groups: [nl.RTNLGRP_LINK],
      nsPath: path,
      onMessage(message) {
        if (message.type === nl.RTM_NEWLINK || message.type === nl.RTM_DELLINK) {
          seen.push({ type: message.type, link: decodeLink(message) });
          wake();
        }
      },
    });
    cleanup.add(() => sub.close());
    const until = async (predicate: () => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error("timed out waiting for a notification");
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    };

    h.linkAdd({ kind: "bridge", name: "ev0" });
    await until(() => seen.some((e) => e.type === nl.RTM_NEWLINK && e.link.name === "ev0"));
    h.linkDel("ev0");
    await until(() => seen.some((e) => e.type === nl.RTM_DELLINK && e.link.name === "ev0"));

    sub.close();
    sub.close(); // idempotent
    const count = seen.length;
    h.linkAdd({ kind: "bridge", name: "ev1" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(seen.length, count, "no delivery after close");
  } finally {
    cleanup.run();
  }
});
