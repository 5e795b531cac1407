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
  const flushes = Array.from({ length: 8 }, (_, i) => () => void ran.push(i));
  for (const f of flushes) queue.add(f);
  queue.add(flushes[0]!); // already waiting: still once, in its first place
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
  for (let i = 0; i < 100; i++) queue.add(() => write()); // one flush per socket
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
  const late = () => void ran.push("late");
  const gone = () => void ran.push("gone");
  queue.add(() => {
    ran.push("a");
    queue.add(late);
  });
  queue.add(() => void ran.push("b"));
  queue.add(gone);
  queue.add(() => void ran.push("c"));
  queue.delete(gone);
  await vi.waitFor(() => expect(ran).toHaveLength(4));
  expect(ran).toEqual(["a", "b", "c", "late"]);
});

test("a flush that throws is reported, and the others still run", async () => {
  const errors: unknown[] = [];
  const queue = new FlushQueue((e) => void errors.push(e), 2);
  const ran: number[] = [];
  queue.add(() => void ran.push(1));
  queue.add(() => {
    throw new Error("broken");
  });
  for (let i = 2; i < 6; i++) queue.add(() => void ran.push(i));
  await vi.waitFor(() => expect(ran).toEqual([1, 2, 3, 4, 5]));
  expect(errors).toEqual([new Error("broken")]);
});
