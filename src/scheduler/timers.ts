// The due times of every schedulable task, in memory, and ONE timer aimed at the earliest.
// A min-heap orders (dueAt, taskId); an entry replaced or removed stays in the heap as a stale
// item and is skipped when it surfaces (lazy deletion), so set/remove are O(log n) and nothing is
// scanned. No timer per task and no cron object per task: 10,000 tasks cost a few hundred bytes
// each. The timer only *proposes*: the fire path asks the database (fenced) what really happens.
import type { Clock } from "../clock.ts";
import type { CalendarDays, MisfirePolicy } from "../generated/prisma/enums.ts";
import type { Schedule } from "./schedule.ts";

/** What the fire path needs to plan a task's fires without reading it again. */
export interface DueTask extends Schedule {
  id: number;
  /** for alert messages (MISSED_FIRE, CALENDAR_GAP) */
  name: string;
  misfirePolicy: MisfirePolicy;
  /** trading-calendar day rule (null: every day) */
  calendar: string | null;
  calendarDays: CalendarDays | null;
  offsetDays: number;
  /** the persisted next fire: also the fence of the fire statement */
  nextRunAt: Date;
  /** the row's version: the fire statement's second fence */
  updatedAt: Date;
}

interface HeapItem {
  at: number;
  id: number;
  /** the entry generation this item was pushed for (older ones are stale) */
  gen: number;
}

/** Node timers overflow beyond 2^31-1 ms: a farther due time is re-aimed when that timer ends. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class DueIndex {
  private readonly entries = new Map<number, { task: DueTask; gen: number }>();
  private heap: HeapItem[] = [];
  private gen = 0;
  private timer?: NodeJS.Timeout;
  private timerAt: number | null = null;
  private stopped = false;

  /** `leadMs`: the timer goes off this long before the earliest due time */
  constructor(private readonly deps: { clock: Clock; onDue: () => void; leadMs?: number }) {}

  get size(): number {
    return this.entries.size;
  }

  get(taskId: number): DueTask | undefined {
    return this.entries.get(taskId)?.task;
  }

  /** (Re)places a task's due time; `at` overrides when to look at it again (a retry after a
   *  failed statement), nextRunAt otherwise. */
  set(task: DueTask, at = task.nextRunAt.getTime()): void {
    const gen = ++this.gen;
    this.entries.set(task.id, { task, gen });
    this.push({ at, id: task.id, gen });
    this.arm();
  }

  /** `set`, unless the entry changed since it was taken at generation `gen` (a task-changed
   *  event got there first and its data is newer). */
  setIfCurrent(task: DueTask, gen: number, at?: number): void {
    if (this.entries.get(task.id)?.gen === gen) this.set(task, at);
  }

  /** `remove`, under the same condition as setIfCurrent. */
  removeIfCurrent(taskId: number, gen: number): void {
    if (this.entries.get(taskId)?.gen === gen) this.entries.delete(taskId);
  }

  remove(taskId: number): void {
    this.entries.delete(taskId);
    // its heap item goes stale; the timer may go off for nothing once, which costs no SQL
  }

  /** Replaces everything (start-up, periodic resync, scheduler resumed). */
  replaceAll(tasks: DueTask[]): void {
    this.entries.clear();
    this.heap = [];
    for (const t of tasks) this.entries.set(t.id, { task: t, gen: ++this.gen });
    this.heap = [...this.entries.entries()].map(([id, e]) => ({ at: e.task.nextRunAt.getTime(), id, gen: e.gen }));
    this.heap.sort((a, b) => a.at - b.at); // a sorted array is a valid heap
    this.timerAt = null;
    clearTimeout(this.timer);
    this.arm();
  }

  /** Takes up to `limit` tasks due at or before `until`, earliest first, with the generation
   *  they were taken at. They stay known but are not due again until the caller sets them. */
  takeDue(until: number, limit: number): { task: DueTask; gen: number }[] {
    const out: { task: DueTask; gen: number }[] = [];
    while (out.length < limit && this.heap.length && this.heap[0]!.at <= until) {
      const item = this.pop()!;
      const entry = this.entries.get(item.id);
      if (!entry || entry.gen !== item.gen) continue; // stale
      out.push(entry);
    }
    return out;
  }

  /** Earliest live due time, dropping stale items on the way. */
  peek(): number | null {
    while (this.heap.length) {
      const top = this.heap[0]!;
      const entry = this.entries.get(top.id);
      if (entry && entry.gen === top.gen) return top.at;
      this.pop();
    }
    return null;
  }

  /** Aims the one timer at the earliest due time (no-op when it already is). */
  arm(): void {
    if (this.stopped) return;
    const at = this.peek();
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    if (at === null) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - (this.deps.leadMs ?? 0) - this.deps.clock.now().getTime()));
    this.timer = setTimeout(() => {
      this.timerAt = null;
      if (delay === MAX_TIMER_MS) this.arm();
      else this.deps.onDue();
    }, delay);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.entries.clear();
    this.heap = [];
  }

  // ── binary min-heap on (at, id) ─────────────────────────────────────────────────────────────

  private less(a: HeapItem, b: HeapItem): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(item: HeapItem): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): HeapItem | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!h.length || !last) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}
