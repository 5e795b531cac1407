// A PostgreSQL server of the test's own (initdb in a temp folder, its own port), for tests that
// stop and start the database. Never the shared one at 5432, which other tests use.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PgCluster {
  port: number;
  /** a URL of database `name` on this server */
  url(name?: string): string;
  start(): Promise<void>;
  /** fast shutdown: connections are closed, the port refuses */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** runs a PostgreSQL binary as user postgres when we are root (initdb refuses root) */
async function pg(bin: string, args: string[]) {
  const cmd = path.join(BIN, bin);
  if (process.getuid?.() === 0) return run("runuser", ["-u", "postgres", "--", cmd, ...args]);
  return run(cmd, args);
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-pg-"));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(dir, "data");
  await pg("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const cluster: PgCluster = {
    port,
    url: (name = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${name}`,
    start: async () => {
      await pg("pg_ctl", ["-D", data, "-l", path.join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
    },
    stop: async () => {
      await pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    destroy: async () => {
      await pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
