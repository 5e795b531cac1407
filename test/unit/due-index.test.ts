// The in-memory due times (src/scheduler/timers.ts): earliest first, replaced and removed entries
// never surface, a write-back from a pass that raced with a change is dropped, one timer.
import { afterEach, describe, expect, test } from "vitest";
import { DueIndex, type DueTask } from "../../src/scheduler/timers.ts";

const T = Date.parse("2026-01-01T00:00:00Z");
const task = (id: number, at: number): DueTask => ({
  id, name: `t${id}`, cron: null, intervalSeconds: 1, runAt: null, timezone: "UTC", misfirePolicy: "RUN_ONCE", calendar: null, calendarDays: null, offsetDays: 0, nextRunAt: new Date(at), updatedAt: new Date(T),
});
const ids = (taken: { task: DueTask }[]) => taken.map((x) => x.task.id);

describe("DueIndex", () => {
  let index: DueIndex;
  let dues = 0;
  const make = (now = T) => (index = new DueIndex({ clock: { now: () => new Date(now) }, onDue: () => dues++ }));
  afterEach(() => index?.stop());

  test("takes what is due, earliest first, up to the limit", () => {
    make(T - 10_000_000);
    for (const [id, at] of [[5, T + 300], [1, T + 100], [3, T + 200], [2, T + 100], [4, T + 5000]] as const) index.set(task(id, at));
    expect(ids(index.takeDue(T + 250, 2))).toEqual([1, 2]);
    expect(ids(index.takeDue(T + 250, 10))).toEqual([3]);
    expect(index.peek()).toBe(T + 300);
    expect(ids(index.takeDue(T + 10_000, 10))).toEqual([5, 4]);
    expect(index.size).toBe(5); // taken tasks stay known until set again or removed
  });

  test("replaced and removed entries never come due under their old time", () => {
    make(T - 10_000_000);
    index.set(task(1, T + 100));
    index.set(task(2, T + 200));
    index.set(task(1, T + 900)); // moved later
    index.remove(2);
    expect(ids(index.takeDue(T + 500, 10))).toEqual([]);
    expect(ids(index.takeDue(T + 1000, 10))).toEqual([1]);
    expect(index.get(2)).toBeUndefined();
  });

  test("a pass's write-back loses against a change that came in meanwhile", () => {
    make(T - 10_000_000);
    index.set(task(1, T));
    const [{ gen }] = index.takeDue(T, 10);
    index.set(task(1, T + 60_000)); // a task-changed event: newer data
    index.setIfCurrent(task(1, T + 1000), gen!); // the pass's stale plan
    expect(index.get(1)!.nextRunAt.getTime()).toBe(T + 60_000);
    index.removeIfCurrent(1, gen!);
    expect(index.get(1)).toBeDefined();
  });

  test("replaceAll rebuilds the order; one timer goes off for the earliest due time", async () => {
    const now = Date.now();
    index = new DueIndex({ clock: { now: () => new Date() }, onDue: () => dues++ });
    dues = 0;
    index.replaceAll([task(1, now + 60_000), task(2, now + 30), task(3, now + 50_000)]);
    expect(index.peek()).toBe(now + 30);
    await new Promise((r) => setTimeout(r, 200));
    expect(dues).toBe(1);
    expect(ids(index.takeDue(Date.now(), 10))).toEqual([2]);
  });
});
