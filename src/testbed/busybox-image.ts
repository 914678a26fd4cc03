/**
 * The one image the Docker tests run, made without a registry: Debian's
 * busybox-static with a symlink per applet, a root user, and CMD /bin/sh.
 *
 *   await importBusyboxImage(dockerd.client);   // "cnm-busybox:1" in that dockerd
 *
 * The root filesystem's tarball is built once per process (a temporary file,
 * removed at exit) and imported into each dockerd, since every dockerd has a
 * data root of its own.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync, chmodSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENGINE_API_VERSION, type EngineClient } from "../engines/docker/engine-client.js";

export const BUSYBOX_BIN = "/usr/bin/busybox";
export const BUSYBOX_IMAGE = "cnm-busybox:1";
/** Applets the tests use: without one of them the image is no use. */
export const REQUIRED_APPLETS = ["sh", "ping", "nslookup", "wget", "httpd", "ip", "sleep", "hostname"] as const;

let tarball: string | undefined;

/** Path of the root filesystem's tarball, built on first use. */
export function busyboxTarball(): string {
  if (tarball !== undefined) return tarball;
  const applets = execFileSync(BUSYBOX_BIN, ["--list"], { encoding: "utf8" }).split("\n").filter((a) => /^[a-z0-9_.[-]+$/.test(a));
  const missing = REQUIRED_APPLETS.filter((a) => !applets.includes(a));
  if (missing.length > 0) throw new Error(`${BUSYBOX_BIN} lacks the applets ${missing.join(", ")}`);
  const dir = mkdtempSync(join(tmpdir(), "cnm-busybox-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "rootfs");
  for (const d of ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "var/www"]) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  copyFileSync(BUSYBOX_BIN, join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  const path = join(dir, "rootfs.tar");
  execFileSync("tar", ["-C", root, "--numeric-owner", "--owner=0", "--group=0", "-cf", path, "."]);
  rmSync(root, { recursive: true, force: true });
  tarball = path;
  return path;
}

/**
 * Imports the image into the dockerd behind `client` (POST /images/create
 * with the tarball as body), tagged `image` (default cnm-busybox:1).
 */
export function importBusyboxImage(client: EngineClient, image: string = BUSYBOX_IMAGE): Promise<void> {
  const colon = image.lastIndexOf(":");
  const [repo, tag] = colon > 0 ? [image.slice(0, colon), image.slice(colon + 1)] : [image, "latest"];
  const query = new URLSearchParams({ fromSrc: "-", repo, tag, changes: 'CMD ["/bin/sh"]' });
  const path = `/${ENGINE_API_VERSION}/images/create?${query.toString()}`;
  const source = busyboxTarball();
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: client.socketPath, path, method: "POST", headers: { "Content-Type": "application/x-tar" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => {
        // dockerd streams progress as JSON lines; a failure half-way is a line with "error", under a 200.
        const failed = res.statusCode !== 200 || body.includes('"error"');
        if (failed) reject(new Error(`importing ${image}: ${res.statusCode} ${body.trim().slice(-1000)}`));
        else resolve();
      });
    });
    req.on("error", reject);
    createReadStream(source).on("error", reject).pipe(req);
  });
}
