import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { EndpointRecord, NetworkRecord, SandboxRecord } from "../controllerapi/index.js";
import type { StateStore } from "../controllerapi/index.js";

type Kind = "network" | "endpoint" | "sandbox";

/**
 * The daemon's local store: one SQLite file in WAL mode, a row per record
 * holding its JSON. Every write is its own committed transaction before the
 * call returns, so a record the API reported survives kill -9 of the daemon.
 *
 * synchronous=NORMAL, not FULL: in WAL mode NORMAL loses nothing when the
 * process dies, only possibly the last transactions when the machine loses
 * power, and a power loss takes every namespace and link those transactions
 * described with it (the restore reconciles the store with the kernel
 * anyway). FULL would add an fsync to every attach: 1.7 ms against 0.07 ms
 * per write, measured on this machine.
 */
export class SqliteStateStore implements StateStore {
  private readonly db: Database.Database;
  private readonly put: Database.Statement<[string, string, string, number]>;
  private readonly remove: Database.Statement<[string, string]>;
  private readonly all: Database.Statement<[], { kind: Kind; data: string }>;
  private seq: number;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        kind TEXT NOT NULL,
        id   TEXT NOT NULL,
        data TEXT NOT NULL,
        -- Insertion order, so a restore re-creates networks before the endpoints on them.
        seq  INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) WITHOUT ROWID;
    `);
    // An upsert keeps a record's first seq: a re-saved network stays before its endpoints.
    this.put = this.db.prepare(
      `INSERT INTO records (kind, id, data, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data`,
    );
    this.remove = this.db.prepare(`DELETE FROM records WHERE kind = ? AND id = ?`);
    this.all = this.db.prepare(`SELECT kind, data FROM records ORDER BY seq`);
    this.seq = (this.db.prepare(`SELECT COALESCE(MAX(seq), 0) AS s FROM records`).get() as { s: number }).s;
  }

  private write(kind: Kind, id: string, record: unknown): void {
    this.put.run(kind, id, JSON.stringify(record), ++this.seq);
  }

  async putNetwork(record: NetworkRecord): Promise<void> {
    this.write("network", record.id, record);
  }
  async deleteNetwork(id: string): Promise<void> {
    this.remove.run("network", id);
  }
  async putEndpoint(record: EndpointRecord): Promise<void> {
    this.write("endpoint", record.id, record);
  }
  async deleteEndpoint(id: string): Promise<void> {
    this.remove.run("endpoint", id);
  }
  async putSandbox(record: SandboxRecord): Promise<void> {
    this.write("sandbox", record.id, record);
  }
  async deleteSandbox(id: string): Promise<void> {
    this.remove.run("sandbox", id);
  }

  async loadAll(): Promise<{ networks: NetworkRecord[]; endpoints: EndpointRecord[]; sandboxes: SandboxRecord[] }> {
    const out = { networks: [] as NetworkRecord[], endpoints: [] as EndpointRecord[], sandboxes: [] as SandboxRecord[] };
    for (const row of this.all.all()) {
      const record: unknown = JSON.parse(row.data);
      if (row.kind === "network") out.networks.push(record as NetworkRecord);
      else if (row.kind === "endpoint") out.endpoints.push(record as EndpointRecord);
      else if (row.kind === "sandbox") out.sandboxes.push(record as SandboxRecord);
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
