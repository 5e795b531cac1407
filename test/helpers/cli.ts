import { spawn, type ChildProcess } from "node:child_process";
import { ROOT } from "../../src/app.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output until it exits. */
function finished(child: ChildProcess): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `src/main.ts <args>` as a real process (what the npm scripts run) and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return finished(spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] }));
}

/** Runs `npm run <script> -- <args>` in the checkout, as an operator types it. */
export function runNpm(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return finished(spawn("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] }));
}

/** Starts the `jobgraph` executable (package.json "bin") as a real process; `result` settles when it exits. */
export function startJobgraph(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, ["bin/jobgraph.mjs", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  return { child, result: finished(child) };
}

export const runJobgraph = (args: string[], env: NodeJS.ProcessEnv) => startJobgraph(args, env).result;
