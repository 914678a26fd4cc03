// Both reference tools switch on IPv4 forwarding (a gateway bridge needs it) and neither
// switches it back. Measurements read it first and put the old value back afterwards.
import { readFile, writeFile } from "node:fs/promises";

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

export async function readIpForward(): Promise<string> {
  return (await readFile(IP_FORWARD, "utf8")).trim();
}

export async function writeIpForward(value: string): Promise<void> {
  await writeFile(IP_FORWARD, `${value}\n`);
}
