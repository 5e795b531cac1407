// Starts a real jobgraph (HTTP + WebSocket + engine) on a fresh database, with short timings so
// tests of leases, polls and grace periods finish quickly, plus small clients that speak to it
// the way users do.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { createApp, type App, type AppOptions } from "../../src/app.ts";
import type { Role } from "../../src/auth/roles.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export const TEST_SECRET = "test-secret-that-is-at-least-32-characters-long";

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}),
    port: 0,
    host: "127.0.0.1",
    dataDir: mkdtempSync(path.join(os.tmpdir(), "jobgraph-data-")),
    jwtSecret: TEST_SECRET,
    demo: false,
    logLevel: process.env.TEST_LOG_LEVEL ?? "silent",
    leaseMs: 2000,
    pollMs: 250,
    killGraceMs: 500,
    shutdownGraceMs: 1000,
    ...overrides,
  };
}

export interface GqlResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  url: string;
  wsUrl: string;
  token(role: Role, sub?: string): Promise<string>;
  /** POST a GraphQL operation as `role` (null: no token) */
  gql<T = any>(query: string, variables?: Record<string, unknown>, role?: Role | null): Promise<GqlResult<T>>;
  /** like gql but throws on errors and returns data */
  ok<T = any>(query: string, variables?: Record<string, unknown>, role?: Role | null): Promise<T>;
  ws(role?: Role | null, token?: string): Client;
  stop(): Promise<void>;
}

export async function startTestApp(opts: { config?: Partial<Config>; db?: TestDatabase; options?: Partial<AppOptions> } = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const config = testConfig(opts.config);
  const app = await createApp({ config, database: db.target, logger: createLogger(config.logLevel), ...opts.options });
  const clients: Client[] = [];
  const token = (role: Role, sub = `${role}-user`) => app.tokens.mint({ sub, role });
  const gql = async (query: string, variables?: Record<string, unknown>, role: Role | null = "admin") => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (role) headers.authorization = `Bearer ${await token(role)}`;
    const res = await fetch(app.http!.url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as GqlResult;
  };
  return {
    app,
    db,
    url: app.http!.url,
    wsUrl: app.http!.wsUrl,
    token,
    gql,
    async ok(query, variables, role = "admin") {
      const r = await gql(query, variables, role);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
      return r.data;
    },
    ws(role: Role | null = "viewer", explicitToken?: string) {
      const client = createClient({
        url: app.http!.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: async () => {
          const t = explicitToken ?? (role ? await token(role) : null);
          return t ? { authorization: `Bearer ${t}` } : {};
        },
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) await c.dispose();
      await app.stop();
      if (!opts.db) await db.drop();
    },
  };
}

/** Collects a subscription's events until it completes (or `until` says stop). */
/** Resolves once the server holds no GraphQL subscription. Tests that count subscriptions from a
 *  baseline start from here: an earlier test's subscription may still be on its way out, and a
 *  baseline that includes it lets the count stall below base + n. */
export async function noSubscriptionsHeld(t: TestApp, what = "earlier subscriptions to be released"): Promise<void> {
  await waitFor(async () => t.app.services.bus.subscriberCount() === 0, 10_000, what);
}

export async function collect<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  until?: (events: T[]) => boolean,
): Promise<T[]> {
  const events: T[] = [];
  const iterator = client.iterate<T>({ query, variables });
  for await (const msg of iterator) {
    if (msg.errors?.length) throw new Error(`subscription errors: ${JSON.stringify(msg.errors)}`);
    const field = Object.values(msg.data as object)[0] as T;
    events.push(field);
    if (until?.(events)) {
      await iterator.return?.();
      break;
    }
  }
  return events;
}

/** Subscribes in the background, collecting events until stop() (which returns them). */
export function listen<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const events: T[] = [];
  const iterator = client.iterate<T>({ query, variables });
  const done = (async () => {
    for await (const msg of iterator) {
      if (msg.errors?.length) throw new Error(`subscription errors: ${JSON.stringify(msg.errors)}`);
      events.push(Object.values(msg.data as object)[0] as T);
    }
  })();
  done.catch(() => {}); // surfaced by stop()
  return {
    events,
    async stop(): Promise<T[]> {
      await iterator.return?.();
      await done;
      return events;
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const TASK_FIELDS = `id name displayName description kind config enabled paused maxRetries retryDelaySeconds retryBackoff
  timeoutSeconds overlapPolicy misfirePolicy nextRunAt createdAt updatedAt schedule { cron intervalSeconds runAt timezone }`;

export const EXECUTION_FIELDS = `id status trigger manual attempt scheduledAt startedAt finishedAt durationMs params result error
  progress progressMessage currentItem processedItems totalItems cancelRequested logTail triggeredBy stepId
  task { id name } retryOf { id } parent { id }`;

export async function createTask(t: TestApp, input: Record<string, unknown>): Promise<any> {
  const data = await t.ok(`mutation($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`, { input });
  return data.createTask;
}

export async function trigger(t: TestApp, taskId: string, params?: unknown, force?: boolean): Promise<any> {
  const data = await t.ok(
    `mutation($id: ID!, $params: JSON, $force: Boolean) { triggerTask(id: $id, params: $params, force: $force) { ${EXECUTION_FIELDS} } }`,
    { id: taskId, params, force },
    "operator",
  );
  return data.triggerTask;
}

export async function getExecution(t: TestApp, id: string): Promise<any> {
  const data = await t.ok(`query($id: ID!) { execution(id: $id) { ${EXECUTION_FIELDS} } }`, { id }, "viewer");
  return data.execution;
}

export const FINAL = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"];

export async function waitForFinal(t: TestApp, id: string, timeoutMs = 15_000): Promise<any> {
  return waitFor(async () => {
    const e = await getExecution(t, id);
    return FINAL.includes(e.status) ? e : null;
  }, timeoutMs, `execution ${id} to finish`);
}
