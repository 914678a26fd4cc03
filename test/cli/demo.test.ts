// `cnm demo` end to end against a real daemon: it must succeed, print every
// step with its timing, and leave nothing behind, also when interrupted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { lingeringLinks, namespacesWithPrefix, startTestDaemon, type TestDaemon } from "./daemon-fixture.js";

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon();
});

after(async () => {
  await d?.stop();
  if (d) {
    assert.deepEqual(namespacesWithPrefix(d.prefix), [], "no namespaces left");
    assert.deepEqual(await lingeringLinks(d.prefix), [], "no links left");
  }
});

async function assertNothingLeft(): Promise<void> {
  assert.equal(d.controller.networks().length, 0, "no networks left in the daemon");
  assert.equal(d.controller.sandboxes().length, 0, "no sandboxes left in the daemon");
  assert.deepEqual(namespacesWithPrefix(d.prefix), []);
  assert.deepEqual(await lingeringLinks(d.prefix), []);
}

describe("cnm demo", () => {
  it("runs the tour: network, sandboxes, ping both ways, published port from the host and from a sandbox; then cleans up", async () => {
    const r = await d.cnm(["demo"], { timeoutMs: 60_000 });
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0, r.stdout);
    const out = r.stdout;
    assert.match(out, new RegExp(`^cnm demo against ${d.host}$`, "m"));
    assert.match(out, /^\[1\] create bridge network cnm-demo-[0-9a-f]{4} .*\n {4}ok {2}\d+\.\d ms {2}id [0-9a-f]{12}, subnet \S+\/\d+, gateway \S+$/m);
    assert.match(out, /^\[\d+\] demo-client-[0-9a-f]{4} pings demo-web-[0-9a-f]{4} at \S+\n {4}ok .*2 packets transmitted, 2 received, 0% packet loss/m);
    assert.match(out, /^\[\d+\] demo-web-[0-9a-f]{4} pings demo-client-[0-9a-f]{4} at \S+\n {4}ok .*2 received/m);
    assert.match(out, /the host reaches it through the published port: http:\/\/127\.0\.0\.1:\d+\/\n {4}ok .*HTTP 200: "hello from the web sandbox"/);
    assert.match(out, /reaches it through the gateway: http:\/\/[\d.]+:\d+\/\n {4}ok .*HTTP 200: "hello from the web sandbox"/);
    assert.match(out, /^demo succeeded$/m);
    assert.match(out, /^\[\d+\] clean up\n( {4}ok .*\n){4}/m);
    assert.match(out, /^total \d+\.\d ms$/m);
    assert.doesNotMatch(out, /FAILED/);
    await assertNothingLeft();
  });

  it("on Ctrl-C (SIGINT) stops, cleans up what it made, and exits 130", async () => {
    let sent = false;
    let seen = "";
    const r = await d.cnm(["demo"], {
      timeoutMs: 60_000,
      onStdout: (chunk, child) => {
        // Interrupt once both sandboxes exist and one is being connected
        // (chunks split anywhere, so look at everything so far).
        seen += chunk;
        if (!sent && /^\[4\] connect /m.test(seen)) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    assert.ok(sent, r.stdout);
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stderr, /SIGINT received, stopping and cleaning up/);
    assert.match(r.stdout, /\[\d+\] clean up\n/);
    assert.doesNotMatch(r.stdout, /demo succeeded/);
    assert.doesNotMatch(r.stdout, /\[\d+\] clean up\n(.*\n)*.*FAILED/);
    await assertNothingLeft();
  });

  it("a failing step still cleans up and exits 1 (the published port is taken)", async () => {
    // Publishing a port the daemon cannot bind makes the connect step fail.
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "0.0.0.0", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await d.cnm(["demo", "--port", String(port)], { timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /FAILED/);
      assert.match(r.stderr, /^cnm: demo failed: .+\n$/);
      assert.match(r.stdout, /\[\d+\] clean up\n/);
    } finally {
      blocker.close();
    }
    await assertNothingLeft();
  });
});
