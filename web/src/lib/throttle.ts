// Many live updates a second, one render: updates are gathered and applied once per animation
// frame (or at most every `ms`), so a hundred busy runs cost a few renders a second.
import { useCallback, useEffect, useRef, useState } from "react";

/** Calls `fn` at most once per `ms`, trailing call included. */
export function useThrottled(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef<number | null>(null);
  const last = useRef(0);
  useEffect(() => () => void (timer.current !== null && clearTimeout(timer.current)), []);
  return useCallback(() => {
    if (timer.current !== null) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    timer.current = window.setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      latest.current();
    }, wait);
  }, [ms]);
}

/** A map of items by id that absorbs batches and re-renders once per frame. */
export function useFrameMap<T extends { id: string }>() {
  const map = useRef(new Map<string, T>());
  const [version, setVersion] = useState(0);
  const frame = useRef<number | null>(null);
  const schedule = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      setVersion((v) => v + 1);
    });
  }, []);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);
  const replace = useCallback((items: T[]) => {
    map.current = new Map(items.map((i) => [i.id, i]));
    schedule();
  }, [schedule]);
  const merge = useCallback((items: T[], keep: (item: T) => boolean) => {
    for (const item of items) {
      if (keep(item)) map.current.set(item.id, item);
      else map.current.delete(item.id);
    }
    schedule();
  }, [schedule]);
  return { items: map.current, version, replace, merge };
}

/** re-renders every `ms` (elapsed times and ETAs) */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
