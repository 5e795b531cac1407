// The committed schema.graphql is what the code builds (clients and codegen read the file), and
// the schema keeps every name of the API.md contract, so a rename is caught here.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
} from "graphql";
import { describe, expect, test } from "vitest";
import { printedSchema } from "../../src/graphql/schema.ts";


const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

test("schema.graphql is up to date", () => {
  const committed = readFileSync(path.join(ROOT, "schema.graphql"), "utf8");
  expect(committed, "schema.graphql is stale: run `npm run schema:print` and commit the result").toBe(printedSchema());
});

// ── the contract ─────────────────────────────────────────────────────────────────────────────
// Copied from API.md (types, inputs, operations); keep in step with it. The schema may add fields,
// arguments, types and operations, but not rename or retype what is here. `*`: any type.
const CONTRACT = `
interface Node { id: ID! }

enum TaskKind { COMMAND HTTP HANDLER WORKFLOW }
enum ExecutionStatus { PENDING RUNNING SUCCEEDED FAILED TIMED_OUT CANCELLED SKIPPED }
enum TriggerKind { SCHEDULE MANUAL RETRY WORKFLOW CATCH_UP }
enum OverlapPolicy { SKIP QUEUE ALLOW }
enum MisfirePolicy { SKIP RUN_ONCE RUN_ALL }

type Schedule { cron: String  intervalSeconds: Int  runAt: DateTime  timezone: String! }

type Task implements Node {
  id: ID!  name: String!  displayName: String  description: String
  kind: TaskKind!  config: JSON!  schedule: Schedule
  enabled: Boolean!  paused: Boolean!
  maxRetries: Int!  retryDelaySeconds: Int!  retryBackoff: Float!  timeoutSeconds: Int
  overlapPolicy: OverlapPolicy!  misfirePolicy: MisfirePolicy!
  nextRunAt: DateTime  lastExecution: Execution
  executions(first: Int, after: String, filter: ExecutionFilter): ExecutionConnection!
  stats(from: DateTime, until: DateTime): ExecutionStats!
  createdAt: DateTime!  updatedAt: DateTime!
}

type Execution implements Node {
  id: ID!  task: Task!  status: ExecutionStatus!  trigger: TriggerKind!  manual: Boolean!
  attempt: Int!  retryOf: Execution  parent: Execution
  children(first: Int, after: String): ExecutionConnection!
  scheduledAt: DateTime!  startedAt: DateTime  finishedAt: DateTime  durationMs: Int
  params: JSON  result: JSON  error: String
  progress: Float  progressMessage: String  currentItem: String
  processedItems: Int  totalItems: Int
  cancelRequested: Boolean!  logTail: String  triggeredBy: String
}

type ExecutionStats {
  total: Int!  succeeded: Int!  failed: Int!  timedOut: Int!  cancelled: Int!  skipped: Int!
  running: Int!  pending: Int!  successRate: Float  avgDurationMs: Float
  p50DurationMs: Float  p95DurationMs: Float  lastFinishedAt: DateTime  lastStatus: ExecutionStatus
}

type SchedulerStatus {
  running: Boolean!  paused: Boolean!  instances: Int!
  tasks: Int!  enabledTasks: Int!  pausedTasks: Int!  scheduledTasks: Int!
  runningExecutions: Int!  pendingExecutions: Int!  startedAt: DateTime!  version: String!
}

type AuditEvent implements Node {
  id: ID!  at: DateTime!  actor: String  action: String!  ok: Boolean!  error: String
  task: Task  execution: Execution  details: JSON
}

type LogLine { seq: Int!  at: DateTime!  stream: String!  text: String! }

type Viewer { sub: *  role: * }   # API.md: "viewer: Viewer  # { sub role }" (names only)

input ScheduleInput { cron: String  intervalSeconds: Int  runAt: DateTime  timezone: String }
input CreateTaskInput {
  name: String!  displayName: String  description: String  kind: TaskKind!  config: JSON!
  schedule: ScheduleInput  enabled: Boolean
  maxRetries: Int  retryDelaySeconds: Int  retryBackoff: Float
  timeoutSeconds: Int  overlapPolicy: OverlapPolicy  misfirePolicy: MisfirePolicy
}
input TaskFilter { kind: TaskKind  enabled: Boolean  paused: Boolean  search: String }
input ExecutionFilter {
  taskId: ID  status: [ExecutionStatus!]  trigger: [TriggerKind!]  manual: Boolean
  from: DateTime  until: DateTime  parentId: ID
}

type Query {
  node(id: ID!): Node
  viewer: Viewer
  task(id: ID, name: String): Task
  tasks(first: Int, after: String, filter: TaskFilter): TaskConnection!
  execution(id: ID!): Execution
  executions(first: Int, after: String, filter: ExecutionFilter): ExecutionConnection!
  stats(taskId: ID, from: DateTime, until: DateTime): ExecutionStats!
  scheduler: SchedulerStatus!
  auditEvents(first: Int, after: String, taskId: ID, action: String): AuditEventConnection!
  executionLog(id: ID!, afterSeq: Int, limit: Int): [LogLine!]!
}
type Mutation {
  createTask(input: CreateTaskInput!): Task!
  updateTask(id: ID!, input: UpdateTaskInput!): Task!
  deleteTask(id: ID!): ID!
  enableTask(id: ID!): Task!   disableTask(id: ID!): Task!
  pauseTask(id: ID!): Task!    resumeTask(id: ID!): Task!
  triggerTask(id: ID!, params: JSON, force: Boolean): Execution!
  cancelExecution(id: ID!): Execution!
  markExecutionFailed(id: ID!, reason: String): Execution!
  deleteExecution(id: ID!): ID!
  pauseScheduler: SchedulerStatus!  resumeScheduler: SchedulerStatus!
}
type Subscription {
  executionUpdated(id: ID!): Execution!
  executionEvents(taskId: ID): Execution!
  executionLogLines(id: ID!, afterSeq: Int): LogLine!
}
`;

/** API.md's connection return types, and what each list holds */
const CONNECTIONS: Record<string, string> = { TaskConnection: "Task", ExecutionConnection: "Execution", AuditEventConnection: "AuditEvent" };

interface ContractField {
  name: string;
  type: string;
  args: { name: string; type: string }[];
}
interface ContractType {
  kind: "type" | "input" | "enum" | "interface";
  name: string;
  implements?: string;
  fields: ContractField[];
  values: string[];
}

function parseContract(text: string): ContractType[] {
  const sdl = text.replace(/#[^\n]*/g, "");
  const types: ContractType[] = [];
  for (const m of sdl.matchAll(/(type|input|enum|interface)\s+(\w+)(?:\s+implements\s+(\w+))?\s*\{([^}]*)\}/g)) {
    const [, kind, name, iface, body] = m as unknown as [string, ContractType["kind"], string, string | undefined, string];
    const t: ContractType = { kind, name, implements: iface, fields: [], values: [] };
    if (kind === "enum") t.values = body.trim().split(/\s+/);
    else {
      for (const f of body.matchAll(/(\w+)\s*(?:\(([^)]*)\))?\s*:\s*([[\]\w!*]+)/g)) {
        const args = [...(f[2] ?? "").matchAll(/(\w+)\s*:\s*([[\]\w!]+)/g)].map((a) => ({ name: a[1]!, type: a[2]! }));
        t.fields.push({ name: f[1]!, type: f[3]!, args });
      }
    }
    types.push(t);
  }
  return types;
}

const contract = parseContract(CONTRACT);
// the schema as clients see it: rebuilt from the printed SDL
const schema = buildSchema(printedSchema());

/** the contract's type name, with the connection names mapped to what `actual` is a connection of */
function sameTypeModuloConnectionName(expected: string, actual: string): boolean {
  const name = expected.replace(/[[\]!]/g, "");
  if (!(name in CONNECTIONS)) return expected === actual;
  const actualName = actual.replace(/[[\]!]/g, "");
  const connection = schema.getType(actualName);
  if (!isObjectType(connection) || expected.replace(name, actualName) !== actual) return false;
  const edges = connection.getFields().edges;
  const edge = edges && schema.getType(String(edges.type).replace(/[[\]!]/g, ""));
  return isObjectType(edge) && String(edge.getFields().node?.type).replace(/!/g, "") === CONNECTIONS[name];
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown> | GraphQLInputField> {
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) return type.getFields();
  return {};
}

describe("the schema keeps API.md's contract", () => {
  test("the contract was read completely", () => {
    // a guard on the parser: every contract type and root field is there
    expect(contract.map((t) => t.name)).toEqual(
      expect.arrayContaining(["Node", "Task", "Execution", "ExecutionStats", "SchedulerStatus", "AuditEvent", "LogLine", "Schedule", "Viewer", "ScheduleInput", "CreateTaskInput", "TaskFilter", "ExecutionFilter", "Query", "Mutation", "Subscription"]),
    );
    expect(contract.find((t) => t.name === "Query")!.fields).toHaveLength(10);
    expect(contract.find((t) => t.name === "Mutation")!.fields).toHaveLength(13);
    expect(contract.find((t) => t.name === "Subscription")!.fields).toHaveLength(3);
    expect(contract.find((t) => t.name === "Task")!.fields).toHaveLength(21);
    expect(contract.find((t) => t.name === "Execution")!.fields).toHaveLength(24);
  });

  for (const t of contract) {
    test(`${t.kind} ${t.name}`, () => {
      const actual = schema.getType(t.name);
      expect(actual, `type ${t.name} is missing`).toBeDefined();
      if (t.kind === "enum") {
        expect(isEnumType(actual)).toBe(true);
        const values = isEnumType(actual) ? actual.getValues().map((v) => v.name) : [];
        expect(values, `enum ${t.name}`).toEqual(expect.arrayContaining(t.values));
        return;
      }
      const kindOk = t.kind === "input" ? isInputObjectType(actual) : t.kind === "interface" ? isInterfaceType(actual) : isObjectType(actual);
      expect(kindOk, `${t.name} is not an ${t.kind}`).toBe(true);
      if (t.implements) expect(isObjectType(actual) && actual.getInterfaces().map((i) => i.name)).toContain(t.implements);
      const fields = fieldsOf(actual!);
      for (const f of t.fields) {
        const field = fields[f.name];
        expect(field, `${t.name}.${f.name} is missing`).toBeDefined();
        if (f.type !== "*") expect(sameTypeModuloConnectionName(f.type, String(field!.type)), `${t.name}.${f.name}: ${String(field!.type)}, contract says ${f.type}`).toBe(true);
        for (const a of f.args) {
          const arg = "args" in field! ? field.args.find((x) => x.name === a.name) : undefined;
          expect(arg, `${t.name}.${f.name}(${a.name}) is missing`).toBeDefined();
          expect(String(arg!.type), `${t.name}.${f.name}(${a.name})`).toBe(a.type);
        }
        // arguments added beyond the contract must be optional, or old clients break
        if ("args" in field!) for (const arg of field.args) if (!f.args.some((a) => a.name === arg.name)) expect(String(arg.type), `${t.name}.${f.name}(${arg.name})`).not.toMatch(/!$/);
      }
    });
  }

  test("UpdateTaskInput: every CreateTaskInput field, each optional", () => {
    const update = schema.getType("UpdateTaskInput");
    expect(isInputObjectType(update)).toBe(true);
    const fields = fieldsOf(update!);
    for (const f of contract.find((t) => t.name === "CreateTaskInput")!.fields) {
      expect(fields[f.name], `UpdateTaskInput.${f.name} is missing`).toBeDefined();
      expect(String(fields[f.name]!.type)).toBe(f.type.replace(/!$/, ""));
    }
  });

  test("inputs added beyond the contract are optional", () => {
    for (const t of contract.filter((c) => c.kind === "input")) {
      const fields = fieldsOf(schema.getType(t.name)!);
      for (const [name, f] of Object.entries(fields)) {
        if (!t.fields.some((c) => c.name === name)) expect(String(f.type), `${t.name}.${name}`).not.toMatch(/!$/);
      }
    }
  });

  test("connections are Relay connections with edges { cursor node }, pageInfo and totalCount", () => {
    for (const [root, field] of [["Query", "tasks"], ["Query", "executions"], ["Query", "auditEvents"], ["Task", "executions"], ["Execution", "children"]] as const) {
      const type = schema.getType(String(fieldsOf(schema.getType(root)!)[field]!.type).replace(/!$/, ""));
      expect(isObjectType(type), `${root}.${field}`).toBe(true);
      const fields = fieldsOf(type!);
      expect(Object.keys(fields), `${root}.${field}`).toEqual(expect.arrayContaining(["edges", "pageInfo", "totalCount"]));
      expect(String(fields.totalCount!.type)).toBe("Int!");
      expect(String(fields.pageInfo!.type)).toBe("PageInfo!");
      const edge = fieldsOf(schema.getType(String(fields.edges!.type).replace(/[[\]!]/g, ""))!);
      expect(Object.keys(edge)).toEqual(expect.arrayContaining(["cursor", "node"]));
    }
    expect(Object.keys(fieldsOf(schema.getType("PageInfo")!))).toEqual(expect.arrayContaining(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]));
  });

  // codegen-typed clients use API.md's names for the list types
  test("connection types carry API.md's names (TaskConnection, ExecutionConnection, AuditEventConnection)", () => {
    for (const t of contract) {
      for (const f of t.fields) {
        const name = f.type.replace(/[[\]!]/g, "");
        if (!(name in CONNECTIONS)) continue;
        const actual = fieldsOf(schema.getType(t.name)!)[f.name]!;
        expect(String(actual.type), `${t.name}.${f.name}`).toBe(f.type);
      }
    }
  });
});
