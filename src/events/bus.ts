// In-process publish/subscribe with one bounded buffer per subscriber: a slow subscriber loses
// its oldest events (SlidingBuffer), it never blocks the publisher, crashes the process (yoga's
// createPubSub throws on overflow) or receives another subscriber's events (a shared buffer).
import { Repeater, SlidingBuffer } from "graphql-yoga";

export class EventBus<Events extends Record<string, unknown>> {
  private readonly topics = new Map<string, Set<(payload: never) => void>>();
  private listeners = 0;

  constructor(private readonly bufferSize = 500) {}

  publish<K extends keyof Events & string>(topic: K, key: string, payload: Events[K]): void {
    for (const deliver of this.topics.get(`${topic}:${key}`) ?? []) {
      try {
        (deliver as (p: Events[K]) => void)(payload);
      } catch {
        // a broken subscriber must not stop delivery to the others
      }
    }
  }

  /** The listener is registered at once (not on first next()), so nothing published after this
   *  call is missed: callers can subscribe, then read a snapshot, then consume. */
  subscribe<K extends keyof Events & string>(topic: K, key: string): AsyncIterableIterator<Events[K]> & { close(): void } {
    const name = `${topic}:${key}`;
    const early: Events[K][] = [];
    let push: ((p: Events[K]) => void) | null = null;
    const deliver = (p: Events[K]) => {
      if (push) push(p);
      else if (early.length < this.bufferSize) early.push(p);
    };
    let set = this.topics.get(name);
    if (!set) this.topics.set(name, (set = new Set()));
    set.add(deliver as (payload: never) => void);
    const remove = () => {
      set!.delete(deliver as (payload: never) => void);
      if (set!.size === 0 && this.topics.get(name) === set) this.topics.delete(name);
    };
    const repeater = new Repeater<Events[K]>(async (repeaterPush, stop) => {
      for (const p of early.splice(0)) void repeaterPush(p);
      push = (p) => void repeaterPush(p);
      await stop;
      remove();
    }, new SlidingBuffer(this.bufferSize));
    const iterator = repeater[Symbol.asyncIterator]() as unknown as AsyncIterableIterator<Events[K]> & { close(): void };
    iterator.close = () => {
      remove();
      void repeater.return();
    };
    return iterator;
  }

  /** A plain callback listener (for the engine's own wiring); returns the function that removes it. */
  on<K extends keyof Events & string>(topic: K, key: string, listener: (payload: Events[K]) => void): () => void {
    const name = `${topic}:${key}`;
    let set = this.topics.get(name);
    if (!set) this.topics.set(name, (set = new Set()));
    const fn = listener as (payload: never) => void;
    set.add(fn);
    this.listeners++;
    return () => {
      if (set!.delete(fn)) this.listeners--;
      if (set!.size === 0 && this.topics.get(name) === set) this.topics.delete(name);
    };
  }

  /** GraphQL subscriptions currently listening (engine listeners not counted) */
  subscriberCount(): number {
    let n = 0;
    for (const set of this.topics.values()) n += set.size;
    return n - this.listeners;
  }
}
