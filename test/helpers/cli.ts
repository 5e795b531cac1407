import { spawn } from "node:child_process";
import { ROOT } from "../../src/app.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `src/main.ts <args>` as a real process (what the npm scripts run) and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runProcess(process.execPath, ["--import", "tsx", "src/main.ts", ...args], env);
}

/** Runs `npm run <script> -- <args>` in the checkout, as an operator types it. */
export function runNpm(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runProcess("npm", ["run", "--silent", script, "--", ...args], env);
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
