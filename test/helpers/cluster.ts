// A PostgreSQL cluster of the test's own (initdb into a temp folder, its own port), so a test can
// stop and start the database under a running jobgraph. Never the shared server on 5432.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const canStartCluster = () => existsSync(path.join(PG_BIN, "initdb"));

export interface OwnCluster {
  /** a database of its own on the cluster */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** initdb refuses to run as root: run the server binaries as the postgres user then */
async function asPostgres(bin: string, args: string[]): Promise<void> {
  const cmd = path.join(PG_BIN, bin);
  if (process.getuid?.() === 0) await run("runuser", ["-u", "postgres", "--", cmd, ...args]);
  else await run(cmd, args);
}

export async function startOwnCluster(): Promise<OwnCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jobgraph-cluster-"));
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(dir, "data");
  const port = 55432 + Math.floor(Math.random() * 5000);
  await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => asPostgres("pg_ctl", ["start", "-w", "-D", data, "-l", path.join(dir, "log"), "-o", options]);
  const stop = () => asPostgres("pg_ctl", ["stop", "-w", "-D", data, "-m", "immediate"]);
  await start();
  const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE jobgraph`);
  await admin.end();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/jobgraph`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
