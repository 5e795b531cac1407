// How a shared source hands its results to its subscribers (src/server/shared-subscriptions.ts),
// with a source stream of our own making: each subscriber gets every result in order, a full
// sink holds back only its own subscriber (whose oldest results are dropped past the bound), and
// a subscriber whose delivery throws ends alone and leaves the source. The end-to-end behaviour
// over real WebSockets is in test/shared-subscriptions.test.ts.
import type { ExecutionResult } from "graphql";
import { describe, expect, test } from "vitest";
import { getSchema } from "../../src/graphql/schema.ts";
import { createSharedSubscriptions, type Subscriber } from "../../src/server/shared-subscriptions.ts";

/** a source stream whose results the test pushes, and which says when it was closed */
function controlledStream() {
  const waiting: ((r: IteratorResult<ExecutionResult>) => void)[] = [];
  const queued: IteratorResult<ExecutionResult>[] = [];
  let closed = false;
  const stream: AsyncGenerator<ExecutionResult> = {
    next: () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise((r) => waiting.push(r))),
    return: async () => {
      closed = true;
      return { value: undefined, done: true };
    },
    throw: async (e) => {
      throw e;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const emit = (r: IteratorResult<ExecutionResult>) => (waiting.length ? waiting.shift()!(r) : queued.push(r));
  return {
    stream,
    push: (n: number) => emit({ value: { data: { n } }, done: false }),
    end: () => emit({ value: undefined, done: true }),
    closed: () => closed,
  };
}

const n = (r: ExecutionResult) => (r.data as { n: number }).n;
const turn = () => new Promise((r) => setImmediate(r));

async function join(shared: ReturnType<typeof createSharedSubscriptions>, start: () => AsyncGenerator<ExecutionResult>): Promise<Subscriber> {
  const s = await shared.subscribe("key", start);
  if (!("deliver" in s)) throw new Error("expected a subscriber");
  return s;
}

describe("shared delivery", () => {
  test("every subscriber gets every result in order; the stream's end settles each delivery", async () => {
    const shared = createSharedSubscriptions({ schema: getSchema() });
    const source = controlledStream();
    const got: number[][] = [[], [], []];
    const subs = await Promise.all(got.map(() => join(shared, () => source.stream)));
    const done = subs.map((s, i) => s.deliver((r) => void got[i]!.push(n(r))));
    for (let i = 1; i <= 50; i++) source.push(i);
    source.end();
    await Promise.all(done);
    const all = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(got).toEqual([all, all, all]);
    expect(shared.stats()).toEqual({ sources: 0, subscribers: 0 });
  });

  test("a full sink holds back only its own subscriber, which loses its oldest results past the bound", async () => {
    const shared = createSharedSubscriptions({ schema: getSchema(), bufferSize: 5 });
    const source = controlledStream();
    const fast: number[] = [];
    const slow: number[] = [];
    let release!: () => void;
    const full = new Promise<void>((r) => (release = r));
    const [a, b] = [await join(shared, () => source.stream), await join(shared, () => source.stream)];
    const doneA = a.deliver((r) => void fast.push(n(r)));
    // b's socket is full after its first result until released
    const doneB = b.deliver((r) => {
      slow.push(n(r));
      return slow.length === 1 ? full : undefined;
    });
    for (let i = 1; i <= 20; i++) source.push(i);
    await turn();
    expect(fast).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(slow).toEqual([1]);
    release();
    source.end();
    await Promise.all([doneA, doneB]);
    // it kept the 5 newest of the 19 that waited
    expect(slow).toEqual([1, 16, 17, 18, 19, 20]);
  });

  test("a subscriber whose delivery throws ends alone, with the error, and leaves the source", async () => {
    const shared = createSharedSubscriptions({ schema: getSchema() });
    const source = controlledStream();
    const good: number[] = [];
    const [a, b] = [await join(shared, () => source.stream), await join(shared, () => source.stream)];
    const doneA = a.deliver((r) => void good.push(n(r)));
    const doneB = b.deliver((r) => {
      if (n(r) === 2) throw new Error("socket broke");
    });
    const failed = expect(doneB).rejects.toThrow("socket broke");
    for (let i = 1; i <= 3; i++) source.push(i);
    await failed;
    await turn();
    expect(shared.stats()).toEqual({ sources: 1, subscribers: 1 });
    for (let i = 4; i <= 5; i++) source.push(i);
    await turn();
    expect(good).toEqual([1, 2, 3, 4, 5]);
    // the last one leaving closes the source stream
    a.stop();
    await doneA;
    expect(shared.stats()).toEqual({ sources: 0, subscribers: 0 });
    expect(source.closed()).toBe(true);
  });
});
