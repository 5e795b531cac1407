// COMMAND executor: runs a program as the leader of its own process group, under a supervisor
// process that kills the group when this instance goes away (even by SIGKILL); streams its output
// line by line, understands the `::jobgraph {json}` stdout protocol and makes sure that nothing it
// started outlives the run (the whole group is killed once the main process is gone).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { calendarRangeSchema, type CalendarRange } from "../calendars/service.ts";
import { describeReason, ExecutionFailure, formatIssues, type ExecutionContext, type Executor, type ProgressUpdate } from "./types.ts";

// the same schema that validated the config when the task was saved
export { commandConfig as commandConfigSchema, type CommandConfig } from "../tasks/config-schemas.ts";
import { commandConfig as commandConfigSchema, type CommandConfig } from "../tasks/config-schemas.ts";

export interface CommandExecutorOptions {
  /** after SIGTERM on abort, how long the group gets before SIGKILL */
  killGraceMs: number;
  /** output lines (stdout + stderr) forwarded to ctx.log per run; the rest is counted, not kept */
  maxCaptureLines?: number;
  /** a logged line longer than this is cut (protocol lines may be longer, up to maxBufferedLine) */
  maxLineLength?: number;
  /** after the main process exits, how long to wait for the pipes to reach EOF */
  drainTimeoutMs?: number;
  /** applies `::jobgraph {"calendar": …}` lines when the run succeeds (CalendarService) */
  calendars?: { applyFromRun(ranges: CalendarRange[], executionId: number): Promise<void> };
}

// Every command runs under this small supervisor, which kills its process group when the
// instance goes away, even by SIGKILL (see the file for the protocol).
const SUPERVISOR = fileURLToPath(new URL("./supervisor.cjs", import.meta.url));

export const PROTOCOL_PREFIX = "::jobgraph ";
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 4000;
// memory guard for one line being buffered; a `result` line may legitimately be large
const MAX_BUFFERED_LINE = 1024 * 1024;

export function createCommandExecutor(opts: CommandExecutorOptions): Executor {
  const maxCaptureLines = opts.maxCaptureLines ?? 10_000;
  const maxLineLength = opts.maxLineLength ?? 8 * 1024;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 2000;

  return async function runCommand(ctx: ExecutionContext) {
    const parsed = commandConfigSchema.safeParse(ctx.config);
    if (!parsed.success) {
      throw new ExecutionFailure(`invalid COMMAND config: ${formatIssues(parsed.error)}`);
    }
    const config = parsed.data;
    if (ctx.signal.aborted) throw new ExecutionFailure(`aborted: ${describeReason(ctx.signal.reason)}`);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...config.env,
      JOBGRAPH_PARAMS: JSON.stringify(ctx.params ?? {}),
      JOBGRAPH_EXECUTION_ID: String(ctx.executionId),
      JOBGRAPH_SCHEDULED_AT: ctx.scheduledAt.toISOString(),
    };

    return new Promise((resolve, reject) => {
      let settled = false;
      let result: unknown = undefined;
      const calendarLines: unknown[] = [];
      let capturedLines = 0;
      let droppedLines = 0;
      const stderrTail: string[] = [];
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let abortedBeforeExit = false;
      let drainTimer: NodeJS.Timeout | undefined;
      let openStreams = 2;

      // ctx callbacks belong to the runner; a throw there must not become an uncaught exception
      // inside a stream handler.
      const safeLog = (stream: "stdout" | "stderr" | "system", text: string) => {
        try {
          ctx.log(stream, text);
        } catch (err) {
          ctx.logger.warn({ err }, "ctx.log threw");
        }
      };
      const safeProgress = (update: ProgressUpdate) => {
        try {
          ctx.progress(update);
        } catch (err) {
          ctx.logger.warn({ err }, "ctx.progress threw");
        }
      };

      const outputLine = (stream: "stdout" | "stderr", line: string) => {
        if (capturedLines >= maxCaptureLines) {
          droppedLines++;
          return;
        }
        capturedLines++;
        safeLog(stream, line.length > maxLineLength ? `${line.slice(0, maxLineLength)}…[truncated]` : line);
        if (capturedLines === maxCaptureLines) {
          safeLog("system", `output capture limit of ${maxCaptureLines} lines reached; further lines are dropped`);
        }
      };

      const onStdoutLine = (line: string) => {
        if (line.startsWith(PROTOCOL_PREFIX)) {
          const message = parseProtocol(line.slice(PROTOCOL_PREFIX.length));
          if (message) {
            if (message.progress) safeProgress(message.progress);
            if (message.hasResult) result = message.result;
            if (message.hasCalendar) calendarLines.push(message.calendar);
            return;
          }
        }
        outputLine("stdout", line);
      };
      const onStderrLine = (line: string) => {
        stderrTail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
        outputLine("stderr", line);
      };

      let supervisor: ChildProcess;
      try {
        // an empty environment: NODE_OPTIONS (loaders, inspectors) is not the supervisor's business
        supervisor = spawn(process.execPath, [SUPERVISOR], { env: {}, detached: true, stdio: ["ignore", "pipe", "pipe", "pipe"] });
      } catch (err) {
        reject(new ExecutionFailure(`cannot start "${config.command}": ${errorMessage(err)}`));
        return;
      }
      const lifeline = supervisor.stdio[3] as Socket;
      lifeline.on("error", () => {}); // a supervisor that died is noticed when the lifeline ends
      let pid: number | undefined; // the command's, which leads its own process group
      let spawnFailed = false;
      const tell = (message: SupervisorRequest) => {
        if (lifeline.writable) lifeline.write(`${JSON.stringify(message)}\n`);
      };

      const onAbort = () => {
        if (exit || settled) return;
        abortedBeforeExit = true;
        safeLog("system", `aborting (${describeReason(ctx.signal.reason)}): SIGTERM to process group ${pid ?? "(starting)"}`);
        tell({ terminate: true });
      };

      const cleanup = () => {
        ctx.signal.removeEventListener("abort", onAbort);
        clearTimeout(drainTimer);
      };

      const finish = () => {
        if (settled || !exit) return;
        settled = true;
        cleanup();
        lifeline.destroy();
        if (droppedLines > 0) safeLog("system", `${droppedLines} output lines were not captured`);
        if (abortedBeforeExit) {
          reject(new ExecutionFailure(`aborted: ${describeReason(ctx.signal.reason)}`, result));
          return;
        }
        const tail = stderrTail.join("\n").slice(-STDERR_TAIL_CHARS);
        if (exit.code === 0) {
          const outcome = result === undefined ? {} : { result };
          if (!calendarLines.length) resolve(outcome);
          else applyCalendarLines(calendarLines, ctx.executionId, opts.calendars).then(() => resolve(outcome), (e: Error) => reject(new ExecutionFailure(e.message, result)));
        } else if (exit.code !== null) {
          reject(new ExecutionFailure(`exit code ${exit.code}${tail ? `: ${tail}` : ""}`, result));
        } else {
          reject(new ExecutionFailure(`killed by signal ${exit.signal}${tail ? `: ${tail}` : ""}`, result));
        }
      };

      const failToStart = (message: string) => {
        if (settled) return;
        settled = true;
        cleanup();
        lifeline.destroy();
        supervisor.stdout?.destroy();
        supervisor.stderr?.destroy();
        reject(new ExecutionFailure(message));
      };

      const exited = (status: { code: number | null; signal: NodeJS.Signals | null }) => {
        if (exit) return;
        exit = status;
        if (settled) return;
        if (openStreams === 0) {
          finish();
          return;
        }
        // a process that escaped the group may still hold the pipes: stop waiting for EOF
        drainTimer = setTimeout(() => {
          if (settled) return;
          safeLog("system", "output pipes still open after the process exited; closing them");
          supervisor.stdout?.destroy();
          supervisor.stderr?.destroy();
        }, drainTimeoutMs);
      };

      const onSupervisorLine = (line: string) => {
        let message: SupervisorReport;
        try {
          message = JSON.parse(line) as SupervisorReport;
        } catch {
          return;
        }
        if ("started" in message) pid = message.started;
        else if ("spawnError" in message) {
          spawnFailed = true;
          failToStart(describeSpawnError(config, message.spawnError));
        } else if ("signalled" in message && message.signalled === "SIGKILL") {
          safeLog("system", `still running after ${opts.killGraceMs} ms: SIGKILL to process group ${pid}`);
        } else if ("exit" in message) exited(message.exit);
      };
      const onSupervisorGone = () => {
        if (exit || spawnFailed) return;
        // killed from outside before it could report: its command must not outlive it either
        if (pid !== undefined) killGroup(pid, "SIGKILL", ctx);
        safeLog("system", "the command's supervisor ended unexpectedly");
        exited({ code: null, signal: "SIGKILL" });
      };

      const streamDone = () => {
        openStreams--;
        if (openStreams === 0) finish();
      };
      attachLineReader(supervisor.stdout!, onStdoutLine, streamDone);
      attachLineReader(supervisor.stderr!, onStderrLine, streamDone);
      attachLineReader(lifeline, onSupervisorLine, onSupervisorGone);

      supervisor.on("error", (err) => {
        // 'error' without a pid: the supervisor itself never started (the node binary is gone)
        if (supervisor.pid === undefined) failToStart(`cannot start "${config.command}": ${err.message}`);
        else ctx.logger.warn({ err }, "supervisor process error");
      });

      tell({
        spec: { command: config.command, args: config.args ?? [], cwd: config.cwd, env, shell: config.shell ?? false, killGraceMs: opts.killGraceMs },
      });
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();
    });
  };
}

/** The supervisor's protocol (src/executors/supervisor.cjs describes it). */
type SupervisorRequest =
  | { spec: { command: string; args: string[]; cwd?: string; env: NodeJS.ProcessEnv; shell: boolean | string; killGraceMs: number } }
  | { terminate: true };
type SupervisorReport =
  | { started: number }
  | { spawnError: { code: string | null; message: string } }
  | { signalled: NodeJS.Signals }
  | { exit: { code: number | null; signal: NodeJS.Signals | null } };

/** Last resort when the supervisor is gone; normally the supervisor signals the group itself. */
function killGroup(pid: number, signal: NodeJS.Signals, ctx: ExecutionContext) {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") ctx.logger.warn({ err, pid, signal }, "failed to signal process group");
  }
}

/** Splits a stream into lines (LF or CRLF), flushing a last line without a newline at the end.
 *  `onDone` is called exactly once, when the stream ends, errors or is destroyed. */
function attachLineReader(stream: Readable, onLine: (line: string) => void, onDone: () => void) {
  let buffer = "";
  let skipping = false; // inside an over-long line whose head was already emitted
  let done = false;
  const emit = (line: string) => onLine(line.endsWith("\r") ? line.slice(0, -1) : line);

  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      if (nl === -1) break;
      const piece = chunk.slice(start, nl);
      if (skipping) skipping = false;
      else emit(buffer + piece);
      buffer = "";
      start = nl + 1;
    }
    if (skipping) return;
    buffer += chunk.slice(start);
    if (buffer.length > MAX_BUFFERED_LINE) {
      emit(buffer); // the consumer truncates for display
      buffer = "";
      skipping = true;
    }
  });
  const end = () => {
    if (done) return;
    done = true;
    if (buffer.length > 0 && !skipping) emit(buffer);
    buffer = "";
    onDone();
  };
  stream.once("end", end);
  stream.once("close", end);
  stream.once("error", end);
}

interface ProtocolMessage {
  progress?: ProgressUpdate;
  hasResult: boolean;
  result?: unknown;
  hasCalendar: boolean;
  calendar?: unknown;
}

/** A successful run's calendar lines: all valid and applied together, or the run fails and the
 *  calendars stay as they were. */
async function applyCalendarLines(lines: unknown[], executionId: number, calendars: CommandExecutorOptions["calendars"]): Promise<void> {
  const ranges = lines.map((line, i) => {
    const parsed = calendarRangeSchema.safeParse(line);
    if (!parsed.success) throw new Error(`invalid ::jobgraph calendar line${lines.length > 1 ? ` #${i + 1}` : ""}: ${formatIssues(parsed.error)}`);
    return parsed.data;
  });
  if (!calendars) throw new Error("::jobgraph calendar lines are not supported by this executor");
  try {
    await calendars.applyFromRun(ranges, executionId);
  } catch (e) {
    throw new Error(`::jobgraph calendar line not applied: ${errorMessage(e)}`);
  }
}

/** null when the text is not a protocol object, so the caller logs the line as plain output */
function parseProtocol(json: string): ProtocolMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const update: ProgressUpdate = {};
  if (typeof obj.progress === "number" && Number.isFinite(obj.progress)) {
    update.progress = Math.min(1, Math.max(0, obj.progress));
  }
  if (typeof obj.message === "string") update.message = obj.message;
  if (typeof obj.processed === "number" && Number.isFinite(obj.processed)) update.processed = obj.processed;
  if (typeof obj.total === "number" && Number.isFinite(obj.total)) update.total = obj.total;
  if (typeof obj.currentItem === "string") update.currentItem = obj.currentItem;
  else if (typeof obj.currentItem === "number") update.currentItem = String(obj.currentItem);
  const hasProgress = Object.keys(update).length > 0;
  const hasResult = Object.hasOwn(obj, "result");
  const hasCalendar = Object.hasOwn(obj, "calendar");
  if (!hasProgress && !hasResult && !hasCalendar) return null;
  return { progress: hasProgress ? update : undefined, hasResult, result: obj.result, hasCalendar, calendar: obj.calendar };
}

function describeSpawnError(config: CommandConfig, err: { code?: string | null; message: string }): string {
  if (err.code === "ENOENT") {
    // spawn reports a missing cwd as ENOENT of the command, which sends people hunting the wrong file
    if (config.cwd && !existsSync(config.cwd)) {
      return `cannot start "${config.command}": working directory "${config.cwd}" does not exist`;
    }
    return `cannot start "${config.command}": command not found (ENOENT)`;
  }
  if (err.code === "EACCES") return `cannot start "${config.command}": permission denied (EACCES)`;
  return `cannot start "${config.command}": ${err.message}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
