/**
 * Default IPAM benchmark: allocations and releases per second through the
 * public API (requestAddress / releaseAddress, strings in and out) on a /16,
 * a /8 and an IPv6 /64, the memory a /8 with 1M addresses allocated costs,
 * and the same figures for a naive Set<string> allocator measured in the
 * same run. Run: node --expose-gc dist/bench/ipam.js
 */
import { performance } from "node:perf_hooks";
import { DefaultIpam } from "../src/ipam/index.js";
import { formatIPv4 } from "../src/inet/index.js";

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function memory(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MiB = 1024 * 1024;

/** The shape both allocators offer the benchmark loops. */
interface Allocator {
  allocate(): string;
  release(address: string): void;
}

/**
 * The baseline: what one writes first. A Set of address strings and a
 * cursor; serial like ours, skipping network and broadcast.
 */
class NaiveSetAllocator implements Allocator {
  private readonly used = new Set<string>();
  private cursor = 1;
  constructor(
    private readonly base: number,
    private readonly size: number,
    private readonly suffix: string,
  ) {}
  allocate(): string {
    for (let tries = 0; tries < this.size; tries++) {
      const off = this.cursor;
      this.cursor = this.cursor + 1 >= this.size - 1 ? 1 : this.cursor + 1;
      const a = formatIPv4(this.base + off);
      if (!this.used.has(a)) {
        this.used.add(a);
        return a + this.suffix;
      }
    }
    throw new Error("exhausted");
  }
  release(address: string): void {
    this.used.delete(address.slice(0, address.indexOf("/")));
  }
}

function ipamAllocator(pool: string, v6 = false): Allocator {
  const ipam = new DefaultIpam();
  const { poolId } = ipam.requestPool({ addressSpace: "LocalDefault", pool, v6 });
  return {
    allocate: () => ipam.requestAddress(poolId).address,
    release: (a) => ipam.releaseAddress(poolId, a),
  };
}

interface Rates {
  allocsPerS: number;
  releasesPerS: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >>> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * `rounds` times: allocate `count` addresses, then release them all. The
 * first round warms the JIT and is not counted. Rates are the median over
 * rounds: the machine is shared, and a median shrugs off a round slowed by
 * a neighbour better than a total does.
 */
function run(label: string, alloc: Allocator, count: number, rounds: number): Rates {
  const held = new Array<string>(count);
  const allocRates: number[] = [];
  const releaseRates: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) held[i] = alloc.allocate();
    const t1 = performance.now();
    for (let i = 0; i < count; i++) alloc.release(held[i]!);
    const t2 = performance.now();
    if (r > 0) {
      allocRates.push((count / (t1 - t0)) * 1000);
      releaseRates.push((count / (t2 - t1)) * 1000);
    }
  }
  const rates = { allocsPerS: median(allocRates), releasesPerS: median(releaseRates) };
  console.log(
    `${label.padEnd(28)} ${(rates.allocsPerS / 1e6).toFixed(2).padStart(6)} M allocs/s  ${(rates.releasesPerS / 1e6).toFixed(2).padStart(6)} M releases/s  (median of ${rounds} rounds of ${count})`,
  );
  return rates;
}

/** Heap + array buffers grown by an allocator holding `count` addresses (the returned strings are dropped). */
function memoryWith(make: () => Allocator, count: number): number {
  const before = memory();
  const alloc = make();
  for (let i = 0; i < count; i++) alloc.allocate();
  const after = memory();
  // Keep the allocator alive until after the measurement.
  if (alloc.allocate() === "") console.log("unreachable");
  return (after - before) / MiB;
}

function main(): void {
  if (gc === undefined) console.log("warning: run with --expose-gc for meaningful memory figures");
  const SIXTEEN = 65534; // every usable address of a /16
  const MILLION = 1_000_000;

  console.log("-- /16: allocate until full, release all");
  const o16 = run("default ipam 10.0.0.0/16", ipamAllocator("10.0.0.0/16"), SIXTEEN, 20);
  const n16 = run("naive Set<string> /16", new NaiveSetAllocator(0x0a000000, 65536, "/16"), SIXTEEN, 20);

  console.log("-- /8: allocate 1M, release all");
  const o8 = run("default ipam 10.0.0.0/8", ipamAllocator("10.0.0.0/8"), MILLION, 5);
  const n8 = run("naive Set<string> /8", new NaiveSetAllocator(0x0a000000, 1 << 24, "/8"), MILLION, 5);

  console.log("-- IPv6 /64: allocate 1M, release all");
  const o64 = run("default ipam fd00:1::/64", ipamAllocator("fd00:1::/64", true), MILLION, 3);

  console.log("-- memory with 1M addresses of a /8 allocated (heapUsed + arrayBuffers after gc)");
  const mib8 = memoryWith(() => ipamAllocator("10.0.0.0/8"), MILLION);
  console.log(`default ipam: ${mib8.toFixed(2)} MiB`);
  const naiveMib8 = memoryWith(() => new NaiveSetAllocator(0x0a000000, 1 << 24, "/8"), MILLION);
  console.log(`naive Set<string>: ${naiveMib8.toFixed(2)} MiB`);

  const ratio16 = o16.allocsPerS / n16.allocsPerS;
  const ratio8 = o8.allocsPerS / n8.allocsPerS;
  console.log(`speed vs naive: ${ratio16.toFixed(1)}x on /16, ${ratio8.toFixed(1)}x on /8; memory vs naive: ${(naiveMib8 / mib8).toFixed(0)}x less`);
  const targets = o16.allocsPerS >= 2e6 && o8.allocsPerS >= 2e6 && mib8 <= 16;
  console.log(`targets (>= 2M allocs/s on /16 and /8, <= 16 MiB for the /8): ${targets ? "met" : "NOT met"}`);

  const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
  console.log(
    JSON.stringify({
      allocs_per_s_16: round(o16.allocsPerS),
      releases_per_s_16: round(o16.releasesPerS),
      allocs_per_s_8: round(o8.allocsPerS),
      releases_per_s_8: round(o8.releasesPerS),
      allocs_per_s_v6_64: round(o64.allocsPerS),
      releases_per_s_v6_64: round(o64.releasesPerS),
      mib_8_with_1m: round(mib8, 3),
      naive_allocs_per_s_16: round(n16.allocsPerS),
      naive_releases_per_s_16: round(n16.releasesPerS),
      naive_allocs_per_s_8: round(n8.allocsPerS),
      naive_releases_per_s_8: round(n8.releasesPerS),
      naive_mib_8_with_1m: round(naiveMib8, 3),
      speed_ratio_16: round(ratio16, 2),
      speed_ratio_8: round(ratio8, 2),
      targets_met: targets,
    }),
  );
}

main();
