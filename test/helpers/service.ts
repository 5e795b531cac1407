// jobgraph as a real service process on a test database, the way operators run it: `npm start`
// itself (signals go through npm, as under a process manager), or its node process directly
// (SIGKILL must hit the service, not npm).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { ROOT } from "../../src/app.ts";
import { createTokenService } from "../../src/auth/tokens.ts";
import { TEST_SECRET } from "./app.ts";
import type { TestDatabase } from "./database.ts";

export interface Service {
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  gql(query: string, variables?: Record<string, unknown>): Promise<any>;
  /** SIGKILL unless it already ended (for cleanups) */
  kill(): void;
}

/** The environment a service process gets for `db`: short leases and polls, as the in-process tests. */
export function serviceEnv(db: TestDatabase, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dbEnv = db.url ? { DATABASE_URL: db.url } : { JOBGRAPH_DATA_DIR: path.dirname((db.target as { pgliteDir: string }).pgliteDir) };
  return {
    ...process.env,
    ...dbEnv,
    PORT: "0",
    JOBGRAPH_JWT_SECRET: TEST_SECRET,
    JOBGRAPH_DEMO: "0",
    JOBGRAPH_LEASE_SECONDS: "2",
    JOBGRAPH_POLL_MS: "200",
    JOBGRAPH_KILL_GRACE_SECONDS: "1",
    LOG_LEVEL: "info",
    ...env,
  };
}

const started: ChildProcess[] = [];

/** SIGKILLs every service process still running (call in afterEach). */
export function killServices(): void {
  for (const proc of started.splice(0)) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
}

/** Starts the service and resolves once it listens (rejects with its stderr if it exits first). */
export async function startService(db: TestDatabase, env: Record<string, string> = {}, via: "npm" | "node" = "node"): Promise<Service> {
  const [command, args] = via === "npm" ? ["npm", ["start", "--silent"]] : [process.execPath, ["--import", "tsx", "src/main.ts", "start"]];
  const proc = spawn(command, args as string[], { cwd: ROOT, env: serviceEnv(db, env), stdio: ["ignore", "pipe", "pipe"] });
  started.push(proc);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  };
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    proc.stdout!.on("data", (d) => {
      buffer += d;
      const m = /"url":"(http:[^"]+)","ws".*"msg":"jobgraph is listening"/.exec(buffer);
      if (m) resolve(m[1]!);
    });
    proc.once("exit", (code) => reject(new Error(`service exited (${code}) before listening: ${stderr}`)));
  }).catch((e) => {
    kill();
    throw e;
  });
  const token = await createTokenService(TEST_SECRET).mint({ sub: "tester", role: "admin" });
  return {
    proc,
    url,
    exited,
    kill,
    async gql(query, variables) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as any;
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}
