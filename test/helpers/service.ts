// The service as a real child process (`npm start` or its node process) on a test database,
// with a small GraphQL client: for tests of signals, crashes and restarts.
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
}

const started: ChildProcess[] = [];

/** SIGKILLs every service process still running (call in afterEach). */
export function killServices(): void {
  for (const proc of started.splice(0)) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
}

/** The service as a real process on the test database: `npm start` itself (signals go through
 *  npm, as under a process manager), or its node process directly (SIGKILL must hit the service,
 *  not npm). */
export async function startService(db: TestDatabase, env: Record<string, string> = {}, via: "npm" | "node" = "node"): Promise<Service> {
  const dbEnv = db.url ? { DATABASE_URL: db.url } : { JOBGRAPH_DATA_DIR: path.dirname((db.target as { pgliteDir: string }).pgliteDir) };
  const [command, args] = via === "npm" ? ["npm", ["start", "--silent"]] : [process.execPath, ["--import", "tsx", "src/main.ts", "start"]];
  const proc = spawn(command, args as string[], {
    cwd: ROOT,
    env: {
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
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  started.push(proc);
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
  });
  const token = await createTokenService(TEST_SECRET).mint({ sub: "tester", role: "admin" });
  return {
    proc,
    url,
    exited,
    async gql(query, variables) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as any;
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}

