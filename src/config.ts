// Environment → typed, validated configuration, in one place. An invalid value stops start-up
// with one line naming the variable (ConfigError), before anything is opened.
import path from "node:path";
import { z } from "zod";
import { JSON_DEPTH_CEILING } from "./validation/json-limits.ts";

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`invalid ${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().int().min(min).max(max));
const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

/** Every variable jobgraph reads, with its default. Keep in step with API.md and README.md. */
const variables = {
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgresql://")
    .optional(),
  JOBGRAPH_DATA_DIR: z.string().min(1).default("./data"),
  JOBGRAPH_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JOBGRAPH_CONCURRENCY: int(1, 1000).default(10),
  JOBGRAPH_DEMO: flag.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** how long a RUNNING execution's lease lasts without a heart-beat */
  JOBGRAPH_LEASE_SECONDS: int(2, 3600).default(30),
  /** graceful shutdown: how long running executions may finish before they are cancelled */
  JOBGRAPH_SHUTDOWN_GRACE_SECONDS: int(0, 3600).default(10),
  /** SIGTERM → SIGKILL delay for a command that ignores cancel/timeout */
  JOBGRAPH_KILL_GRACE_SECONDS: int(0, 600).default(5),
  /** safety-net poll for work and due fires (NOTIFY and in-process wake-ups do the fast path) */
  JOBGRAPH_POLL_MS: int(50, 600_000).default(2000),
  /** a schedule's fire is written this long before it is due (PENDING until then), so at its time
   *  the run is only claimed; a pause or edit within this window applies from the next fire */
  JOBGRAPH_FIRE_LEAD_MS: int(0, 10_000).default(1000),
  /** instances say "I am here" over NOTIFY this often; one that heard no other for three times
   *  as long sends no events over NOTIFY (nobody would read them) */
  JOBGRAPH_PEER_HELLO_MS: int(100, 600_000).default(5000),
  /** missed fires older than this are not caught up */
  JOBGRAPH_CATCH_UP_WINDOW_SECONDS: int(0, 31 * 24 * 3600).default(24 * 3600),
  /** at most this many catch-up runs per task for RUN_ALL */
  JOBGRAPH_CATCH_UP_MAX: int(1, 10_000).default(100),
  /** retention: executions finished longer ago than this are pruned (0 = keep) */
  JOBGRAPH_RETENTION_DAYS: int(0, 36500).default(30),
  /** retention: keep at most this many finished executions per task (0 = no limit) */
  JOBGRAPH_RETENTION_PER_TASK: int(0, 100_000_000).default(10_000),
  /** retention: how often the pruning job runs */
  JOBGRAPH_RETENTION_INTERVAL_SECONDS: int(1, 24 * 3600).default(60),
  /** log lines kept per execution (head and tail) */
  JOBGRAPH_MAX_LOG_LINES: int(10, 1_000_000).default(2000),
  /** the dashboard's address; alerts link to `<url>/executions/<id>` when set */
  JOBGRAPH_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).transform((u) => u.replace(/\/+$/, "")).optional(),
  /** alert webhooks: first retry after this long (doubling, at most an hour apart, for up to a day) */
  JOBGRAPH_ALERT_RETRY_SECONDS: int(1, 3600).default(10),
  /** alert webhooks: how long one POST may take */
  JOBGRAPH_ALERT_TIMEOUT_SECONDS: int(1, 300).default(10),
  /** alerts of one task and event within this window fold into one message with a count (0 = never) */
  JOBGRAPH_ALERT_GROUP_SECONDS: int(0, 24 * 3600).default(300),
  // request limits (README "Limits"): what one request may ask of an instance
  JOBGRAPH_MAX_DEPTH: int(1, 1000).default(15),
  JOBGRAPH_MAX_ALIASES: int(1, 100_000).default(30),
  JOBGRAPH_MAX_TOKENS: int(100, 1_000_000).default(2000),
  JOBGRAPH_MAX_COST: int(1, 1_000_000_000).default(150_000),
  JOBGRAPH_MAX_DIRECTIVES: int(1, 100_000).default(50),
  /** largest `first`/`last` of a connection */
  JOBGRAPH_MAX_PAGE_SIZE: int(1, 100_000).default(500),
  /** rows all connections of one request may ask for together (pages sized by variables, which
   *  the cost limit cannot see, nested in each other) */
  JOBGRAPH_MAX_ROWS: int(1, 100_000_000).default(50_000),
  JOBGRAPH_MAX_BODY_BYTES: int(1024, 1024 ** 3).default(1024 * 1024),
  /** stored JSON (task config, run params and results): serialized size and nesting depth */
  JOBGRAPH_MAX_JSON_BYTES: int(16, 64 * 1024 * 1024).default(256 * 1024),
  JOBGRAPH_MAX_JSON_DEPTH: int(2, JSON_DEPTH_CEILING).default(64),
} as const;

type Vars = { [K in keyof typeof variables]: z.output<(typeof variables)[K]> };

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  jwtSecret?: string;
  concurrency: number;
  demo: boolean;
  logLevel: string;
  leaseMs: number;
  shutdownGraceMs: number;
  killGraceMs: number;
  pollMs: number;
  catchUpWindowMs: number;
  catchUpMax: number;
  fireLeadMs: number;
  peerHelloMs: number;
  retentionDays: number;
  retentionPerTask: number;
  retentionIntervalMs: number;
  maxLogLines: number;
  publicUrl?: string;
  alertRetryBaseMs: number;
  alertTimeoutMs: number;
  alertGroupWindowMs: number;
  limits: Limits;
}

/** What one request may ask of an instance (src/server/limits.ts, src/validation/json-limits.ts). */
export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  maxDirectives: number;
  maxPageSize: number;
  maxRows: number;
  maxBodyBytes: number;
  json: JsonLimits;
}

export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const v = {} as Record<string, unknown>;
  for (const [name, schema] of Object.entries(variables)) {
    const raw = env[name] === "" ? undefined : env[name];
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (!parsed.success) throw new ConfigError(name, parsed.error.issues[0]?.message ?? "invalid value");
    v[name] = parsed.data;
  }
  const vars = v as Vars;
  return {
    port: vars.PORT,
    host: vars.HOST,
    databaseUrl: vars.DATABASE_URL,
    dataDir: path.resolve(vars.JOBGRAPH_DATA_DIR),
    jwtSecret: vars.JOBGRAPH_JWT_SECRET,
    concurrency: vars.JOBGRAPH_CONCURRENCY,
    demo: vars.JOBGRAPH_DEMO ?? !vars.DATABASE_URL,
    logLevel: vars.LOG_LEVEL,
    leaseMs: vars.JOBGRAPH_LEASE_SECONDS * 1000,
    shutdownGraceMs: vars.JOBGRAPH_SHUTDOWN_GRACE_SECONDS * 1000,
    killGraceMs: vars.JOBGRAPH_KILL_GRACE_SECONDS * 1000,
    pollMs: vars.JOBGRAPH_POLL_MS,
    fireLeadMs: vars.JOBGRAPH_FIRE_LEAD_MS,
    peerHelloMs: vars.JOBGRAPH_PEER_HELLO_MS,
    catchUpWindowMs: vars.JOBGRAPH_CATCH_UP_WINDOW_SECONDS * 1000,
    catchUpMax: vars.JOBGRAPH_CATCH_UP_MAX,
    retentionDays: vars.JOBGRAPH_RETENTION_DAYS,
    retentionPerTask: vars.JOBGRAPH_RETENTION_PER_TASK,
    retentionIntervalMs: vars.JOBGRAPH_RETENTION_INTERVAL_SECONDS * 1000,
    maxLogLines: vars.JOBGRAPH_MAX_LOG_LINES,
    publicUrl: vars.JOBGRAPH_PUBLIC_URL,
    alertRetryBaseMs: vars.JOBGRAPH_ALERT_RETRY_SECONDS * 1000,
    alertTimeoutMs: vars.JOBGRAPH_ALERT_TIMEOUT_SECONDS * 1000,
    alertGroupWindowMs: vars.JOBGRAPH_ALERT_GROUP_SECONDS * 1000,
    limits: {
      maxDepth: vars.JOBGRAPH_MAX_DEPTH,
      maxAliases: vars.JOBGRAPH_MAX_ALIASES,
      maxTokens: vars.JOBGRAPH_MAX_TOKENS,
      maxCost: vars.JOBGRAPH_MAX_COST,
      maxDirectives: vars.JOBGRAPH_MAX_DIRECTIVES,
      maxPageSize: vars.JOBGRAPH_MAX_PAGE_SIZE,
      maxRows: vars.JOBGRAPH_MAX_ROWS,
      maxBodyBytes: vars.JOBGRAPH_MAX_BODY_BYTES,
      json: { maxBytes: vars.JOBGRAPH_MAX_JSON_BYTES, maxDepth: vars.JOBGRAPH_MAX_JSON_DEPTH },
    },
  };
}
