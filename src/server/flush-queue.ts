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

/** sockets written per turn: ~1.5 ms of writes here */
export const FLUSH_SLICE = 100;

export class FlushQueue {
  /** in the order the sockets first had something to write since their last write */
  private readonly due = new Set<() => void>();
  private scheduled = false;

  /** `onError`: a flush threw (a bug: a socket's failures come as its own "error" events); it
   *  is reported, and the other sockets' writes go on instead of stopping with it */
  constructor(private readonly onError: (err: unknown) => void, private readonly slice = FLUSH_SLICE) {}

  /** `flush` runs once, in a later turn, after the sockets queued before it */
  add(flush: () => void): void {
    this.due.add(flush);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  /** a closed socket's flush will not be needed */
  delete(flush: () => void): void {
    this.due.delete(flush);
  }

  private readonly run = (): void => {
    let n = 0;
    // a Set visits what is added while it is iterated, and skips what is deleted
    for (const flush of this.due) {
      if (n++ === this.slice) break;
      this.due.delete(flush);
      try {
        flush();
      } catch (err) {
        this.onError(err);
      }
    }
    if (this.due.size) setImmediate(this.run);
    else this.scheduled = false;
  };
}
