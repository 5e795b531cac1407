// One execution per event for identical subscriptions. graphql-js executes (and graphql-ws
// serialises) every event once per subscriber: 1,000 dashboards on `executionEvents` meant 1,000
// executions of the same selection on the same row. Subscribers whose operation is identical —
// same document text, operation name, variables, and the same authorization-relevant identity —
// share ONE source stream (one bus listener) and ONE execution per event; each result is handed
// to all of them.
//
// What may be shared: only root fields that are pure event streams, i.e. whose subscriber gets
// nothing of its own at the start (no snapshot, no current row, no replayed history, no check of
// its own arguments) — a late joiner of such a stream gets exactly what a subscriber of its own
// would have got from then on. A stream that starts with a snapshot (activeExecutions,
// schedulerUpdated, executionUpdated, executionLogLines with its backlog) is never shared: a late
// joiner would get no snapshot at all, or another subscriber's stale one. They are few per
// dashboard and already coalesced, so replaying their start per joiner is not worth its
// complexity yet; an allowlist (not a marker per field) because the fields live in several type
// modules and the decision is about delivery, this module's concern.
//
// Identity: the viewer's role, because the role is all that resolvers of these payloads read from
// the context (scope-auth's viewer/operator/admin scopes: an AlertDelivery's channel is admin
// only). `sub` is read by mutations (audit actors) and Query.viewer only, which a subscription
// payload cannot reach; startup checks that (see `assertNoViewerInPayloads`) so a field added
// later that exposes the caller cannot silently be shared across users.
//
// Delivery: each subscriber has its own bounded queue; the shared source is pumped without ever
// waiting for a subscriber, so a slow client loses its own oldest results (as in EventBus) and
// delays no one. The source starts with the first subscriber and is closed (its bus listener
// with it) when the last one leaves.
import {
  getArgumentValues,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLNamedType,
  type GraphQLSchema,
} from "graphql";
import type { Role } from "../auth/roles.ts";

/** root subscription fields that are pure event streams, with the arguments under which they are */
const PURE_STREAMS: Record<string, (args: Record<string, unknown>) => boolean> = {
  // all status changes, from the bus; with taskId it first checks that the task exists (a
  // NOT_FOUND of its own), so only the all-tasks form is shared
  executionEvents: (args) => args.taskId == null,
  taskChanged: () => true,
  alertDeliveries: () => true,
};

/** Types whose fields read who the caller is (not only their role). */
const CALLER_TYPES = new Set(["Viewer", "Query", "Mutation"]);

type Result = ExecutionResult;
type Start = () => Promise<AsyncIterable<Result> | Result> | AsyncIterable<Result> | Result;

export interface SharedSubscriptions {
  /** The sharing key of an operation, or null when it must have a stream of its own. */
  keyOf(schema: GraphQLSchema, document: DocumentNode, params: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }, role: Role | null): string | null;
  /** Joins the shared stream under `key`, starting it with `start` (the first subscriber's own
   *  subscribe) when there is none. A start that fails (an ExecutionResult, not a stream) is
   *  returned as is, to everyone who waited for that start. */
  subscribe(key: string, start: Start): Promise<Subscriber | Result>;
  /** shared sources open now, and the subscribers they feed (for tests and metrics) */
  stats(): { sources: number; subscribers: number };
}

export function createSharedSubscriptions(opts: { schema: GraphQLSchema; bufferSize?: number }): SharedSubscriptions {
  const bufferSize = opts.bufferSize ?? 500;
  assertNoViewerInPayloads(opts.schema);
  const sources = new Map<string, Source>();

  return {
    keyOf(schema, document, params, role) {
      const operation = getOperationAST(document, params.operationName);
      if (operation?.operation !== "subscription") return null;
      // one plain field at the root (no fragments, no directives that could skip it)
      const [field, ...rest] = operation.selectionSet.selections;
      if (!field || rest.length || field.kind !== Kind.FIELD || field.directives?.length) return null;
      const pure = PURE_STREAMS[field.name.value];
      const definition = schema.getSubscriptionType()?.getFields()[field.name.value];
      if (!pure || !definition) return null;
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(definition, field, params.variables ?? {});
      } catch {
        return null; // bad variables: the subscriber's own subscribe reports them
      }
      if (!pure(args)) return null;
      return JSON.stringify([role, params.operationName ?? null, params.variables ?? null, params.query]);
    },

    async subscribe(key, start) {
      let source = sources.get(key);
      if (!source) {
        source = new Source(() => {
          if (sources.get(key) === source) sources.delete(key);
        });
        sources.set(key, source);
        source.start(start);
      }
      return source.join(bufferSize);
    },

    stats() {
      let subscribers = 0;
      for (const s of sources.values()) subscribers += s.size;
      return { sources: sources.size, subscribers };
    },
  };
}

/** One shared source stream and the queues of its subscribers. */
class Source {
  private readonly queues = new Set<Queue>();
  private stream: AsyncIterator<Result> | null = null;
  /** null once streaming; else how the start failed: a refusal (a result) or a thrown error */
  private readonly started: Promise<{ refused: Result } | { thrown: unknown } | null>;
  private resolveStarted!: (failed: { refused: Result } | { thrown: unknown } | null) => void;
  private closed = false;

  constructor(private readonly onClosed: () => void) {
    this.started = new Promise((r) => (this.resolveStarted = r));
  }

  get size(): number {
    return this.queues.size;
  }

  start(start: Start): void {
    void (async () => {
      let result: AsyncIterable<Result> | Result;
      try {
        result = await start();
      } catch (e) {
        this.close();
        return this.resolveStarted({ thrown: e });
      }
      if (!isAsyncIterable(result)) {
        // refused (not authorized, bad arguments…): nothing is shared, the next one tries anew
        this.close();
        return this.resolveStarted({ refused: result });
      }
      this.stream = result[Symbol.asyncIterator]();
      this.resolveStarted(null);
      // everyone who joined while it started may have left already
      if (!this.queues.size) return this.close();
      await this.pump(this.stream);
    })();
  }

  async join(bufferSize: number): Promise<Subscriber | Result> {
    // join before the start finishes: nothing the source yields first is missed
    const queue = new Queue(bufferSize, () => this.leave(queue));
    this.queues.add(queue);
    const failed = await this.started;
    if (failed) {
      this.queues.delete(queue);
      if ("thrown" in failed) throw failed.thrown;
      return failed.refused;
    }
    return queue;
  }

  private async pump(stream: AsyncIterator<Result>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await stream.next();
        if (done || this.closed) break;
        for (const q of this.queues) q.push(value);
      }
      for (const q of [...this.queues]) q.end();
    } catch (e) {
      for (const q of [...this.queues]) q.fail(e);
    }
    this.close();
  }

  private leave(queue: Queue): void {
    this.queues.delete(queue);
    if (!this.queues.size && this.stream) this.close();
  }

  /** the last subscriber left, or the stream ended: close it (and its bus listener) */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    void this.stream?.return?.().catch(() => {});
  }
}

/** Where a subscriber's results go: returns a promise while its socket holds too much unsent. */
export type Sink = (result: Result) => Promise<void> | void;

/** One subscriber of a shared stream. */
export interface Subscriber {
  /** Hands every result to `sink`, synchronously as the source yields it while the sink keeps
   *  up; settles when the stream ended (rejects if it failed) after the last result was handed. */
  deliver(sink: Sink): Promise<void>;
  /** The client completed, or its socket closed: nothing more is handed, at once. */
  stop(): void;
}

/**
 * One subscriber's bounded queue. Results are pushed to its sink as they come — no promise, no
 * microtask per result: at 1,000 subscribers × 300 events a second, pulling each result through
 * an async iterator was a quarter of the server's CPU and much of its garbage. Only while the
 * sink's socket is full do results wait here, and when more than `size` wait the oldest is
 * dropped, so a slow client loses its own oldest results and delays no one.
 */
class Queue implements Subscriber {
  private readonly items: Result[] = [];
  private sink: Sink | null = null;
  /** the sink asked to wait: results queue until it says it took the last one */
  private waiting = false;
  /** no more results will come (ended, failed or stopped) */
  private finished = false;
  private stopped = false;
  private failure: { e: unknown } | null = null;
  private settle: { resolve: () => void; reject: (e: unknown) => void } | null = null;

  constructor(private readonly size: number, private readonly onLeave: () => void) {}

  push(item: Result): void {
    if (this.finished) return;
    if (this.sink && !this.waiting && !this.items.length) return this.hand(item);
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }

  end(): void {
    this.finished = true;
    this.drain();
  }

  fail(e: unknown): void {
    this.failure = { e };
    this.finished = true;
    this.drain();
  }

  deliver(sink: Sink): Promise<void> {
    this.sink = sink;
    const settled = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.drain();
    return settled;
  }

  stop(): void {
    if (!this.finished) this.onLeave();
    this.finished = this.stopped = true;
    this.items.length = 0;
    this.failure = null;
    this.drain();
  }

  private hand(item: Result): void {
    let wait: Promise<void> | void;
    try {
      wait = this.sink!(item);
    } catch (e) {
      // this subscriber's delivery broke (it is called from the shared pump): it alone ends,
      // with the error, and nothing more is handed to it; it leaves the source (graphql-ws ends
      // it on the error without calling stop)
      this.items.length = 0;
      if (!this.finished) this.onLeave();
      return this.fail(e);
    }
    if (!wait) return;
    this.waiting = true;
    void wait.then(() => {
      this.waiting = false;
      this.drain();
    });
  }

  /** hands what waits while the sink keeps up; once nothing more can come, settles deliver() */
  private drain(): void {
    if (!this.sink) return;
    while (!this.waiting && this.items.length && !this.stopped) this.hand(this.items.shift()!);
    if (!this.finished || !this.settle || (!this.stopped && (this.waiting || this.items.length))) return;
    const { resolve, reject } = this.settle;
    this.settle = null;
    if (this.failure) reject(this.failure.e);
    else resolve();
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Result> {
  return typeof (value as AsyncIterable<Result> | null)?.[Symbol.asyncIterator] === "function";
}

/** Sharing is by role: no payload of a shared field may reach a type that reads the caller. */
function assertNoViewerInPayloads(schema: GraphQLSchema): void {
  const root = schema.getSubscriptionType();
  for (const name of Object.keys(PURE_STREAMS)) {
    const field = root?.getFields()[name];
    if (!field) throw new Error(`shared-subscriptions: Subscription.${name} does not exist (update PURE_STREAMS)`);
    const seen = new Set<GraphQLNamedType>();
    const walk = (type: GraphQLNamedType, path: string) => {
      if (seen.has(type)) return;
      seen.add(type);
      if (CALLER_TYPES.has(type.name)) throw new Error(`shared-subscriptions: Subscription.${name} reaches ${type.name} (${path}): it may not be shared by role`);
      if (isAbstractType(type)) for (const t of schema.getPossibleTypes(type)) walk(t, path);
      if (isObjectType(type) || isInterfaceType(type)) for (const f of Object.values(type.getFields())) walk(getNamedType(f.type), `${path}.${f.name}`);
    };
    walk(getNamedType(field.type), name);
  }
}
