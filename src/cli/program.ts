// The `jobgraph` command line: operate a running jobgraph over its public GraphQL API.
// Tables for people, --json for scripts; an error is one line `jobgraph: CODE: message` on stderr.
// Exit codes: 0 done; with --follow the run's outcome: 0 SUCCEEDED, 1 FAILED, 2 CANCELLED,
// TIMED_OUT or SKIPPED; 3 the command could not be carried out (usage, API error, unreachable).
import { Command, CommanderError, Option } from "commander";
import { ApiClient, ApiError } from "./client.ts";
import { tokenCommand } from "../auth/token-command.ts";
import { collect, duration, executionId, parseParams, parseSince, parseTime, progressLine, shortId, table, time, truncate, usage } from "./format.ts";
import type { ExecutionStatus, RunFieldsFragment, TaskFieldsFragment } from "./gql/graphql.js";
import * as op from "./operations.ts";

export const EXIT = { ok: 0, failed: 1, interrupted: 2, error: 3 } as const;

export function outcomeCode(status: ExecutionStatus): number {
  switch (status) {
    case "SUCCEEDED":
      return EXIT.ok;
    case "FAILED":
      return EXIT.failed;
    case "CANCELLED":
    case "TIMED_OUT":
    case "SKIPPED":
      return EXIT.interrupted;
    case "PENDING":
    case "RUNNING":
      return EXIT.error; // cannot be: follow waits for a final state
  }
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: the progress bar redraws one line */
  tty: boolean;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  tty: Boolean(process.stderr.isTTY),
};

const DEFAULT_URL = "http://127.0.0.1:4000/graphql";

interface Global {
  url: string;
  token?: string;
}

const json = (io: Io, value: unknown) => io.out(JSON.stringify(value, null, 2) + "\n");

// ── rendering ────────────────────────────────────────────────────────────────────────────────

function scheduleText(s: TaskFieldsFragment["schedule"]): string {
  if (!s) return "manual";
  const tz = s.timezone === "UTC" ? "" : ` ${s.timezone}`;
  if (s.cron) return `cron ${s.cron}${tz}`;
  if (s.intervalSeconds) return `every ${duration(s.intervalSeconds * 1000)}`;
  return `at ${time(s.runAt)}`;
}

const stateOf = (t: Pick<TaskFieldsFragment, "enabled" | "paused">) => (!t.enabled ? "disabled" : t.paused ? "paused" : "enabled");

function tasksTable(tasks: TaskFieldsFragment[]): string {
  return table(
    ["NAME", "KIND", "SCHEDULE", "STATE", "NEXT RUN", "LAST", "TAGS"],
    tasks.map((t) => [t.name, t.kind, scheduleText(t.schedule), stateOf(t), time(t.nextRunAt), t.lastExecution?.status, t.tags.join(",")]),
  );
}

function runsTable(runs: RunFieldsFragment[]): string {
  return table(
    ["ID", "TASK", "STATUS", "TRIGGER", "SCHEDULED", "DURATION", "MESSAGE"],
    runs.map((r) => [shortId(r.id), r.task.name + (r.stepId ? ` (${r.stepId})` : ""), r.status, r.trigger, time(r.scheduledAt), duration(r.durationMs), truncate(r.error ?? r.progressMessage, 70)]),
  );
}

const runLine = (r: RunFieldsFragment) => `#${shortId(r.id)} ${r.task.name} ${r.status}${r.error ? `: ${r.error}` : ""}\n`;

const withNewline = (text: string) => (text.endsWith("\n") ? text : text + "\n");

interface LogLine {
  seq: number;
  stream: string;
  text: string;
}

/** every stored line after `afterSeq`, page by page */
async function readLog(api: ApiClient, id: string, afterSeq: number, print: (l: LogLine) => void): Promise<void> {
  for (let seq = afterSeq; ; ) {
    const { executionLog } = await api.request(op.ExecutionLogQuery, { id, afterSeq: seq, limit: 1000 });
    for (const l of executionLog) print(l);
    if (executionLog.length < 1000) return;
    seq = executionLog.at(-1)!.seq;
  }
}

// ── following a run ──────────────────────────────────────────────────────────────────────────

/** Streams a run's progress (stderr) and log (stdout; stderr with --json) until it ends; returns its final state. */
async function follow(api: ApiClient, run: RunFieldsFragment, io: Io, opts: { json: boolean; progress: boolean }): Promise<RunFieldsFragment> {
  let last = run;
  let lastSeq = 0;
  let bar = "";
  const clearBar = () => {
    if (io.tty && bar) io.err("\r\x1b[2K");
  };
  const drawBar = () => {
    if (!opts.progress) return;
    const line = progressLine(last);
    if (io.tty) io.err(`\r\x1b[2K${line}`);
    else if (line !== bar) io.err(line + "\n");
    bar = line;
  };
  const print = (l: LogLine) => {
    if (l.seq <= lastSeq) return;
    lastSeq = l.seq;
    clearBar();
    const text = withNewline(l.text);
    if (opts.json || l.stream !== "stdout") io.err(text);
    else io.out(text);
    if (io.tty && bar) io.err(bar);
  };
  const logs = api.subscribe(op.ExecutionLogLines, { id: run.id }, (d) => print(d.executionLogLines));
  logs.done.catch(() => {}); // a log stream cut short is not the run's outcome; the drain below catches up
  const updates = api.subscribe(op.ExecutionUpdated, { id: run.id }, (d) => {
    last = d.executionUpdated;
    drawBar();
  });
  try {
    await updates.done;
    // lines written just before the end may still be on their way: read what is left
    await readLog(api, run.id, lastSeq, print);
  } finally {
    logs.stop();
    clearBar();
  }
  if (opts.progress) io.err(`#${shortId(last.id)} ${last.status}${last.durationMs !== null && last.durationMs !== undefined ? ` in ${duration(last.durationMs)}` : ""}${last.error ? `: ${last.error}` : ""}\n`);
  return last;
}

// ── the program ──────────────────────────────────────────────────────────────────────────────

export function buildProgram(io: Io, onExit: (code: number) => void): Command {
  const program = new Command("jobgraph")
    .description("Operate a running jobgraph over its GraphQL API (JOBGRAPH_URL, JOBGRAPH_TOKEN)")
    .addOption(new Option("--url <url>", "the server's GraphQL endpoint").env("JOBGRAPH_URL").default(DEFAULT_URL))
    .addOption(new Option("--token <jwt>", "a token (`jobgraph token` mints one)").env("JOBGRAPH_TOKEN"))
    .showHelpAfterError()
    .addHelpText(
      "after",
      "\nExit codes: 0 done; with --follow 0 succeeded, 1 failed, 2 cancelled, timed out or skipped; 3 the command failed (one line `jobgraph: CODE: message`).",
    );

  /** runs an action with a connected client, always closing it */
  const withApi =
    <A extends unknown[]>(fn: (api: ApiClient, ...args: A) => Promise<number | void>) =>
    async (...args: A) => {
      const g = program.opts<Global>();
      const api = new ApiClient({ url: g.url, token: g.token });
      try {
        onExit((await fn(api, ...args)) ?? EXIT.ok);
      } finally {
        await api.close();
      }
    };

  const taskId = async (api: ApiClient, name: string) => {
    const { task } = await api.request(op.TaskIdQuery, { name });
    if (!task) throw new ApiError("NOT_FOUND", `no task named "${name}"`);
    return task.id;
  };

  const paramOptions = (c: Command) =>
    c
      .option("--param <key=value>", "a param (repeatable); the value is JSON when it parses, text otherwise", collect)
      .option("--params-json <json>", "params as one JSON object (--param entries go over it)");

  program
    .command("tasks")
    .description("list tasks")
    .option("--tag <tag>", "only tasks with this tag (repeatable: all of them)", collect)
    .option("--json", "JSON for scripts")
    .action(
      withApi(async (api, opts: { tag?: string[]; json?: boolean }) => {
        const tasks: TaskFieldsFragment[] = [];
        let after: string | null = null;
        for (;;) {
          const page: Awaited<ReturnType<typeof listPage>> = await listPage(api, after, opts.tag);
          tasks.push(...page.edges.map((e) => e.node));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor ?? null;
        }
        if (opts.json) json(io, tasks);
        else io.out(tasksTable(tasks) + "\n");
      }),
    );

  program
    .command("task")
    .description("show one task and its latest runs")
    .argument("<name>", "the task's name")
    .option("--json", "JSON for scripts")
    .action(
      withApi(async (api, name: string, opts: { json?: boolean }) => {
        const { task } = await api.request(op.TaskQuery, { name });
        if (!task) throw new ApiError("NOT_FOUND", `no task named "${name}"`);
        if (opts.json) return json(io, task);
        const rate = task.stats.successRate;
        const fields: [string, unknown][] = [
          ["name", task.name],
          ["title", task.displayName],
          ["kind", task.kind],
          ["schedule", scheduleText(task.schedule)],
          ["state", stateOf(task)],
          ["next run", time(task.nextRunAt)],
          ["tags", task.tags.join(", ")],
          ["retries", `${task.maxRetries} (every ${task.retryDelaySeconds} s)`],
          ["timeout", task.timeoutSeconds ? `${task.timeoutSeconds} s` : null],
          ["overlap", task.overlapPolicy],
          ["runs", `${task.stats.total} (${task.stats.succeeded} succeeded, ${task.stats.failed} failed${rate !== null && rate !== undefined ? `, ${Math.round(rate * 100)}% success` : ""})`],
          ["config", JSON.stringify(task.config)],
        ];
        io.out(fields.map(([k, v]) => `${k.padEnd(9)} ${v === null || v === undefined || v === "" ? "-" : v}`).join("\n") + "\n");
        const runs = task.executions.edges.map((e) => e.node);
        if (runs.length) io.out("\n" + runsTable(runs) + "\n");
      }),
    );

  paramOptions(
    program
      .command("trigger")
      .description("run a task now")
      .argument("<name>", "the task's name"),
  )
    .option("--force", "run even if the overlap policy would skip or queue it")
    .option("--follow", "show progress and the live log until the run ends, and exit with its outcome")
    .option("--json", "JSON for scripts (with --follow: the final state; the log goes to stderr)")
    .action(
      withApi(async (api, name: string, opts: { param?: string[]; paramsJson?: string; force?: boolean; follow?: boolean; json?: boolean }) => {
        const params = parseParams(opts.param, opts.paramsJson);
        const { triggerTask: run } = await api.request(op.TriggerTask, { id: await taskId(api, name), params, force: opts.force ?? null });
        return started(api, run, opts);
      }),
    );

  /** after a trigger or a rerun: print the run, or follow it to its end */
  const started = async (api: ApiClient, run: RunFieldsFragment, opts: { follow?: boolean; json?: boolean }) => {
    if (!opts.follow) {
      if (opts.json) json(io, run);
      else io.out(runLine(run));
      return EXIT.ok;
    }
    if (!opts.json) io.err(`#${shortId(run.id)} ${run.task.name} started\n`);
    const final = await follow(api, run, io, { json: Boolean(opts.json), progress: true });
    if (opts.json) json(io, final);
    return outcomeCode(final.status);
  };

  program
    .command("runs")
    .description("list executions, newest first")
    .option("--task <name>", "only this task's")
    .option("--status <status>", "only these statuses (repeatable or comma-separated: FAILED,TIMED_OUT)", collect)
    .option("--tag <tag>", "only runs of tasks with this tag (repeatable)", collect)
    .option("--since <when>", "scheduled since a span ago (24h, 7d) or a date")
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "JSON for scripts")
    .action(
      withApi(async (api, opts: { task?: string; status?: string[]; tag?: string[]; since?: string; limit: string; json?: boolean }) => {
        const first = Number(opts.limit);
        if (!Number.isInteger(first) || first < 1 || first > 1000) throw usage("--limit must be a whole number from 1 to 1000");
        const status = opts.status?.flatMap((s) => s.split(",")).map((s) => s.trim().toUpperCase()) as ExecutionStatus[] | undefined;
        const filter = {
          taskId: opts.task ? await taskId(api, opts.task) : null,
          status: status ?? null,
          tags: opts.tag ?? null,
          from: opts.since ? parseSince(opts.since).toISOString() : null,
        };
        const { executions } = await api.request(op.ExecutionsQuery, { first, filter });
        const runs = executions.edges.map((e) => e.node);
        if (opts.json) json(io, runs);
        else io.out(runsTable(runs) + (executions.totalCount > runs.length ? `\n(${runs.length} of ${executions.totalCount}; --limit shows more)` : "") + "\n");
      }),
    );

  program
    .command("logs")
    .description("print a run's captured output")
    .argument("<id>", "the execution (its number or global id)")
    .option("--follow", "keep printing new lines until the run ends")
    .action(
      withApi(async (api, id: string, opts: { follow?: boolean }) => {
        const gid = executionId(id);
        const { execution } = await api.request(op.ExecutionQuery, { id: gid });
        if (!execution) throw new ApiError("NOT_FOUND", `execution ${id} not found`);
        if (opts.follow) await follow(api, execution, io, { json: false, progress: false });
        else await readLog(api, gid, 0, (l) => (l.stream === "stdout" ? io.out : io.err)(withNewline(l.text)));
      }),
    );

  paramOptions(
    program
      .command("rerun")
      .description("run a finished execution again (same task and params; --param entries over them)")
      .argument("<id>", "the execution (its number or global id)"),
  )
    .option("--from-failure", "workflows: keep the steps that succeeded and run only the rest")
    .option("--follow", "show progress and the live log until the run ends, and exit with its outcome")
    .option("--json", "JSON for scripts")
    .action(
      withApi(async (api, id: string, opts: { param?: string[]; paramsJson?: string; fromFailure?: boolean; follow?: boolean; json?: boolean }) => {
        const params = parseParams(opts.param, opts.paramsJson);
        const { rerunExecution: run } = await api.request(op.RerunExecution, { id: executionId(id), params, fromFailure: opts.fromFailure ?? null });
        return started(api, run, opts);
      }),
    );

  paramOptions(
    program
      .command("backfill")
      .description("one run per scheduled fire time in [--from, --until) that has no run yet, oldest first")
      .argument("<name>", "the task's name")
      .requiredOption("--from <when>", "first fire time included (2026-11-24 or an ISO date-time)")
      .requiredOption("--until <when>", "end of the range, excluded"),
  )
    .option("--json", "JSON for scripts")
    .action(
      withApi(async (api, name: string, opts: { from: string; until: string; param?: string[]; paramsJson?: string; json?: boolean }) => {
        const vars = {
          id: await taskId(api, name),
          from: parseTime(opts.from, "--from").toISOString(),
          until: parseTime(opts.until, "--until").toISOString(),
          params: parseParams(opts.param, opts.paramsJson),
        };
        const { backfillTask: r } = await api.request(op.BackfillTask, vars);
        if (opts.json) return json(io, r);
        io.out(`created ${r.created}, skipped ${r.skipped} (already had a run)\n`);
        if (r.executions.length) io.out(runsTable(r.executions) + "\n");
      }),
    );

  program
    .command("cancel")
    .description("cancel a pending or running execution")
    .argument("<id>", "the execution (its number or global id)")
    .option("--json", "JSON for scripts")
    .action(
      withApi(async (api, id: string, opts: { json?: boolean }) => {
        const { cancelExecution: run } = await api.request(op.CancelExecution, { id: executionId(id) });
        if (opts.json) json(io, run);
        else io.out(runLine(run) + (run.status === "RUNNING" ? "(asked to stop; it ends CANCELLED when it has)\n" : ""));
      }),
    );

  const switches = [
    ["enable", "let the task run (schedule and manual)", op.EnableTask, "enableTask"],
    ["disable", "stop the task: no fires, no manual runs", op.DisableTask, "disableTask"],
    ["pause", "hold the schedule (a manual trigger still runs once)", op.PauseTask, "pauseTask"],
    ["resume", "let the schedule fire again", op.ResumeTask, "resumeTask"],
  ] as const;
  for (const [command, description, document, field] of switches) {
    program
      .command(command)
      .description(description)
      .argument("<name>", "the task's name")
      .option("--json", "JSON for scripts")
      .action(
        withApi(async (api, name: string, opts: { json?: boolean }) => {
          const data = (await api.request(document as typeof op.EnableTask, { id: await taskId(api, name) })) as Record<typeof field, TaskFieldsFragment>;
          const task = data[field];
          if (opts.json) json(io, task);
          else io.out(`${task.name}: ${stateOf(task)}\n`);
        }),
      );
  }

  // the same command as `npm run token`
  program.addCommand(
    tokenCommand((line) => {
      io.out(line + "\n");
      onExit(EXIT.ok);
    }).copyInheritedSettings(program),
  );

  return program;
}

function listPage(api: ApiClient, after: string | null, tags: string[] | undefined) {
  return api.request(op.TasksQuery, { first: 100, after, filter: tags?.length ? { tags } : null }).then((d) => d.tasks);
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  program.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.error; // commander printed it
    if (e instanceof ApiError) {
      io.err(`jobgraph: ${e.code}: ${e.message}${e.field ? ` (${e.field})` : ""}\n`);
      return EXIT.error;
    }
    io.err(`jobgraph: INTERNAL: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.error;
  }
}
