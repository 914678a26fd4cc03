/**
 * Docker network and IPAM plugins written in Python (standard library only),
 * following Docker's published plugin protocol, for cnm's plugin tests. Each
 * logs every call it receives (method and JSON body) as one JSON line, so a
 * test can check the shapes cnm sends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const COMMON = String.raw`
import json, os, socketserver, subprocess, sys, time
from http.server import BaseHTTPRequestHandler

SOCKET, LOG, PREFIX = sys.argv[1], sys.argv[2], sys.argv[3]
HANG = sys.argv[4] if len(sys.argv) > 4 else ""

def log(entry):
    with open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")

def ip(*args, check=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), r.stderr.strip()))

class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a):
        pass
    def address_string(self):
        return "plugin"
    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.docker.plugins.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        method = self.path.lstrip("/")
        log({"method": method, "body": body, "accept": self.headers.get("Accept")})
        if method == HANG:
            log({"method": "hanging", "body": method})
            time.sleep(3600)
        handler = HANDLERS.get(method)
        if handler is None:
            data = b"404 page not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        try:
            self.answer(200, handler(body or {}))
        except Exception as e:
            self.answer(500, {"Err": str(e)})

def serve():
    if os.path.exists(SOCKET):
        os.unlink(SOCKET)
    server = Server(SOCKET, Handler)
    server.serve_forever()
`;

/** A network driver: a bridge per network (the gateway address on it), a veth pair per join. */
const NETWORK_PLUGIN = COMMON + String.raw`
NETWORKS = {}

def short(i):
    return i[:6]

def bridge(nid):
    return PREFIX + "br" + short(nid)

def create_network(b):
    nid = b["NetworkID"]
    generic = b["Options"].get("com.docker.network.generic") or {}
    gw = b["IPv4Data"][0].get("Gateway") if b["IPv4Data"] else None
    NETWORKS[nid] = {"generic": generic, "gateway": gw}
    # cnm replays CreateNetwork when it restarts: a bridge that is there already is adopted.
    ip("link", "add", bridge(nid), "type", "bridge", check=False)
    if gw:
        ip("addr", "replace", gw, "dev", bridge(nid))
    ip("link", "set", bridge(nid), "up")
    return {}

def delete_network(b):
    NETWORKS.pop(b["NetworkID"], None)
    ip("link", "del", bridge(b["NetworkID"]), check=False)
    return {}

def create_endpoint(b):
    net = NETWORKS[b["NetworkID"]]
    iface = b.get("Interface") or {}
    out = {}
    if net["generic"].get("pytest.bad_address") == "1":
        out["Address"] = "10.255.255.254/24"
    if not iface.get("MacAddress"):
        out["MacAddress"] = "02:42:de:ad:be:ef"
    return {"Interface": out}

def join(b):
    eid, nid = b["EndpointID"], b["NetworkID"]
    host, peer = PREFIX + "h" + short(eid), PREFIX + "c" + short(eid)
    ip("link", "add", host, "type", "veth", "peer", "name", peer)
    ip("link", "set", host, "master", bridge(nid))
    ip("link", "set", host, "up")
    out = {"InterfaceName": {"SrcName": peer, "DstPrefix": "eth"}}
    gw = NETWORKS[nid]["gateway"]
    if gw:
        out["Gateway"] = gw.split("/")[0]
        out["StaticRoutes"] = [{"Destination": "10.99.0.0/16", "RouteType": 0, "NextHop": gw.split("/")[0]}]
    return out

def delete_endpoint(b):
    ip("link", "del", PREFIX + "h" + short(b["EndpointID"]), check=False)
    return {}

HANDLERS = {
    "Plugin.Activate": lambda b: {"Implements": ["NetworkDriver"]},
    "NetworkDriver.GetCapabilities": lambda b: {"Scope": "local", "ConnectivityScope": "local"},
    "NetworkDriver.CreateNetwork": create_network,
    "NetworkDriver.DeleteNetwork": delete_network,
    "NetworkDriver.CreateEndpoint": create_endpoint,
    "NetworkDriver.DeleteEndpoint": delete_endpoint,
    "NetworkDriver.EndpointOperInfo": lambda b: {"Value": {"plugin": "python"}},
    "NetworkDriver.Join": join,
    "NetworkDriver.Leave": lambda b: {},
}
serve()
`;

/** An IPAM driver: pools as asked (or its own default), addresses handed out in order, gateway .1. */
const IPAM_PLUGIN = COMMON + String.raw`
import ipaddress
DEFAULT_POOL = os.environ.get("PY_IPAM_POOL", "10.213.0.0/24")
POOLS = {}

def request_pool(b):
    cidr = b.get("Pool") or DEFAULT_POOL
    net = ipaddress.ip_network(cidr)
    pid = "py-" + str(net)
    if pid in POOLS:
        raise RuntimeError("pool %s is in use" % net)
    POOLS[pid] = {"net": net, "used": set()}
    if os.environ.get("PY_IPAM_GATEWAY_IN_DATA"):
        # The gateway named with the pool (Docker's com.docker.network.gateway), never handed out as an address.
        gw = net.broadcast_address - 1
        POOLS[pid]["used"].add(gw)
        return {"PoolID": pid, "Pool": str(net), "Data": {"com.docker.network.gateway": "%s/%d" % (gw, net.prefixlen)}}
    return {"PoolID": pid, "Pool": str(net), "Data": {}}

def release_pool(b):
    POOLS.pop(b["PoolID"])
    return {}

def request_address(b):
    pool = POOLS[b["PoolID"]]
    net = pool["net"]
    want = b.get("Address")
    if not want and (b.get("Options") or {}).get("RequestAddressType") == "com.docker.network.gateway":
        want = str(net.network_address + 1)
    if want:
        addr = ipaddress.ip_address(want)
        if addr in pool["used"]:
            raise RuntimeError("address %s is in use" % addr)
    else:
        addr = next(h for h in net.hosts() if h not in pool["used"] and h != net.network_address + 1)
    pool["used"].add(addr)
    return {"Address": "%s/%d" % (addr, net.prefixlen), "Data": {}}

def release_address(b):
    POOLS[b["PoolID"]]["used"].discard(ipaddress.ip_address(b["Address"]))
    return {}

HANDLERS = {
    "Plugin.Activate": lambda b: {"Implements": ["IpamDriver"]},
    "IpamDriver.GetCapabilities": lambda b: {"RequiresMACAddress": True, "RequiresRequestReplay": False},
    "IpamDriver.GetDefaultAddressSpaces": lambda b: {"LocalDefaultAddressSpace": "pyLocal", "GlobalDefaultAddressSpace": "pyGlobal"},
    "IpamDriver.RequestPool": request_pool,
    "IpamDriver.ReleasePool": release_pool,
    "IpamDriver.RequestAddress": request_address,
    "IpamDriver.ReleaseAddress": release_address,
}
serve()
`;

export interface LoggedCall {
  readonly method: string;
  readonly body: Record<string, unknown> | null;
  readonly accept?: string;
}

/** A running Python plugin: its socket in the plugin directory, its call log, its process. */
export class PythonPlugin {
  private child: ChildProcess | undefined;
  readonly socket: string;
  readonly logPath: string;
  private readonly script: string;

  constructor(
    readonly dir: string,
    readonly name: string,
    kind: "network" | "ipam",
    private readonly linkPrefix: string,
    private readonly hang = "",
    private readonly env: Record<string, string> = {},
  ) {
    this.socket = join(dir, `${name}.sock`);
    this.logPath = join(dir, `${name}.log`);
    this.script = join(dir, `${name}.py`);
    writeFileSync(this.script, kind === "network" ? NETWORK_PLUGIN : IPAM_PLUGIN);
  }

  async start(): Promise<void> {
    // A killed plugin leaves its socket file: waiting for the file must wait for the new one.
    rmSync(this.socket, { force: true });
    const child = spawn("python3", [this.script, this.socket, this.logPath, this.linkPrefix, this.hang], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ...this.env },
    });
    this.child = child;
    const deadline = Date.now() + 5000;
    while (!existsSync(this.socket)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`python plugin ${this.name} did not start`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** kill -9, as a crash; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }

  calls(): LoggedCall[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as LoggedCall);
  }

  /** The bodies of the calls of one method, in order. */
  bodies(method: string): Record<string, unknown>[] {
    return this.calls()
      .filter((c) => c.method === method)
      .map((c) => c.body ?? {});
  }

  async waitFor(method: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.calls().some((c) => c.method === method)) {
      if (Date.now() > deadline) throw new Error(`plugin ${this.name} never received ${method}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
