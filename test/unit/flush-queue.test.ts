// The sockets' writes take turns (src/server/flush-queue.ts): in the order the sockets got
// something to write, a slice of them per event-loop turn, so the loop polls its I/O (the
// database's answers) between slices instead of after a thousand writes.
import { setImmediate as nextTurn } from "node:timers/promises";
import { expect, test, vi } from "vitest";
import { FlushQueue } from "../../src/server/flush-queue.ts";

const fail = (e: unknown) => {
  throw e;
};

test("flushes run once each, in the order they were added, a slice per turn", async () => {
  const queue = new FlushQueue(fail, 3);
  const ran: number[] = [];
  const turns = Array.from({ length: 8 }, (_, i) => queue.turn(() => void ran.push(i)));
  for (const t of turns) t.add();
  turns[0]!.add(); // already waiting: still once, in its first place
  expect(ran).toEqual([]); // never in the caller's turn

  // a turn of the test's own after each of the queue's sees the slices land one at a time
  const seen: number[] = [];
  while (ran.length < 8) {
    await nextTurn();
    seen.push(ran.length);
  }
  expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(seen).toEqual([3, 6, 8]);
});

test("I/O that arrives during a fan-out is handled between slices, not after the last write", async () => {
  const queue = new FlushQueue(fail, 10);
  const order: string[] = [];
  // each write takes a while, as a socket's does (~15 µs here; 300 µs, so the timer below is
  // due before the first slice ends even on a slow machine)
  const write = () => {
    const until = performance.now() + 0.3;
    while (performance.now() < until);
    order.push("write");
  };
  for (let i = 0; i < 100; i++) queue.turn(() => write()).add(); // one turn per socket
  // a timer that is due at once: the event loop's next timers phase comes between two slices
  setTimeout(() => order.push("timer"), 0);
  await vi.waitFor(() => expect(order.filter((o) => o === "write")).toHaveLength(100));
  const at = order.indexOf("timer");
  expect(at).toBeGreaterThan(-1);
  expect(at).toBeLessThan(order.length - 1); // writes came after it: it did not wait for them all
});

test("a flush added while the queue runs gets its turn after the ones waiting; a deleted one never runs", async () => {
  const queue = new FlushQueue(fail, 2);
  const ran: string[] = [];
  const late = queue.turn(() => void ran.push("late"));
  const gone = queue.turn(() => void ran.push("gone"));
  const again = queue.turn(() => void ran.push("again"));
  again.add();
  queue.turn(() => {
    ran.push("a");
    late.add();
    again.add(); // its flush ran already in this pass: it is queued anew, behind the others
  }).add();
  queue.turn(() => void ran.push("b")).add();
  gone.add();
  queue.turn(() => void ran.push("c")).add();
  gone.delete();
  await vi.waitFor(() => expect(ran).toHaveLength(6));
  expect(ran).toEqual(["again", "a", "b", "c", "late", "again"]);
});

test("the queue keeps working across many passes while sockets keep coming back (its slots reused)", async () => {
  const queue = new FlushQueue(fail, 7);
  const counts = new Array<number>(50).fill(0);
  // each flush queues its socket again until it ran 20 times: the queue is never empty for long,
  // so its array is compacted while in use
  const turns: ReturnType<FlushQueue["turn"]>[] = counts.map((_, i) =>
    queue.turn(() => {
      if (++counts[i]! < 20) turns[i]!.add();
    }),
  );
  for (const t of turns) t.add();
  await vi.waitFor(() => expect(counts.every((n) => n === 20)).toBe(true));
});

test("a flush that throws is reported, and the others still run", async () => {
  const errors: unknown[] = [];
  const queue = new FlushQueue((e) => void errors.push(e), 2);
  const ran: number[] = [];
  queue.turn(() => void ran.push(1)).add();
  queue
    .turn(() => {
      throw new Error("broken");
    })
    .add();
  for (let i = 2; i < 6; i++) queue.turn(() => void ran.push(i)).add();
  await vi.waitFor(() => expect(ran).toEqual([1, 2, 3, 4, 5]));
  expect(errors).toEqual([new Error("broken")]);
});
