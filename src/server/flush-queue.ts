// The sockets that have messages to write, written in the order they got them, a slice of them
// per event-loop turn. One event for 1,000 subscribers is 1,000 writes, ~15 ms of one core here
// (the kernel's loopback send is most of it). Written in one turn, as each socket's own
// setImmediate did, they held back every answer of the database that arrived meanwhile: under
// bench:fanout's load (1,000 subscribers, 100 runs/s) the event loop ran 16-29 ms late at the
// median, and a run's state change reached the bus 19-37 ms after it was written (p99 57-146
// ms). Between slices the loop polls its I/O, so the engine's answers, HTTP requests and /ready
// wait for one slice, not for the whole fan-out: loop 1-2 ms late at the median, state change →
// bus 6-8 ms (p99 22-57 ms).
//
// It makes the fan-out no cheaper, only fairer: a socket whose turn comes takes everything queued
// for it by then, including events published between slices. Event → client in 15 s runs: p50
// 30-33 ms against 47-56, p95 67-89 against 88-102; p99 108-162 against 126-145, within the
// machine's noise.
//
// It allocates nothing as sockets come and go from it: each socket has one Turn for its life, and
// the queue is one array of them, its slots reused. It was a Set, whose tables grew to 1,000
// entries and emptied again on every pass; with ws-transport.ts's writer arrays, which were
// likewise let go and grown anew on every pass, they kept the old generation growing under load.
// A sampling heap profile of what only a full collection freed, during 20 s of bench:fanout's
// load (2026-12-05): 405 MB before (the Set's tables 66 MB, the arrays 42 MB, and 180 MB of the
// writes' own buffers and requests, which stopped reaching the old generation with them), 49 MB
// after; the server's RSS at its peak in 12 s of load +71 to +108 MB before, +47 to +50 after.

/** sockets written per turn: ~1.5 ms of writes here */
export const FLUSH_SLICE = 100;

/** A socket's place in the queue: `add` queues its flush (once, however often it is called
 *  before the flush runs), `delete` takes it out (the socket closed). */
export interface Turn {
  add(): void;
  delete(): void;
}

export class FlushQueue {
  /** waiting turns in arrival order are items[head, end) (a deleted one stays in its slot,
   *  skipped); slots before head are free */
  private readonly items: (TurnOf | null)[] = [];
  private head = 0;
  private end = 0;
  private scheduled = false;

  /** `onError`: a flush threw (a bug: a socket's failures come as its own "error" events); it
   *  is reported, and the other sockets' writes go on instead of stopping with it */
  constructor(private readonly onError: (err: unknown) => void, private readonly slice = FLUSH_SLICE) {}

  /** the turn of one socket, whose `flush` runs once per `add`, in a later event-loop turn, after
   *  the sockets queued before it */
  turn(flush: () => void): Turn {
    const turn: TurnOf = {
      flush,
      waiting: false,
      add: () => {
        if (turn.waiting) return;
        turn.waiting = true;
        this.items[this.end++] = turn;
        if (this.scheduled) return;
        this.scheduled = true;
        setImmediate(this.run);
      },
      delete: () => void (turn.waiting = false),
    };
    return turn;
  }

  private readonly run = (): void => {
    let n = 0;
    // what is added during the pass is appended, and reached in this pass if the slice allows
    while (this.head < this.end && n < this.slice) {
      const turn = this.items[this.head]!;
      this.items[this.head++] = null;
      if (!turn.waiting) continue; // deleted
      turn.waiting = false;
      n++;
      try {
        turn.flush();
      } catch (err) {
        this.onError(err);
      }
    }
    if (this.head === this.end) {
      this.head = this.end = 0;
      this.scheduled = false;
      return;
    }
    // the waiting ones move to the front when most of the array is free slots, so it stays as
    // long as the most sockets ever waiting at once (twice at most)
    if (this.head > this.end - this.head) {
      this.items.copyWithin(0, this.head, this.end);
      this.items.fill(null, this.end - this.head, this.end);
      this.end -= this.head;
      this.head = 0;
    }
    setImmediate(this.run);
  };
}

interface TurnOf extends Turn {
  readonly flush: () => void;
  /** queued and not yet flushed (nor deleted) */
  waiting: boolean;
}
