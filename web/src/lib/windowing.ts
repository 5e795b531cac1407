// Long tables draw only the rows in view (plus a margin), with spacer rows standing in for the
// rest: a thousand tasks cost the layout and React work of a few dozen rows, so the page is
// drawn and answers input at once, and scrolling draws the rows it reaches. Rows have one fixed
// height (set in CSS and measured from the first drawn row, so zoom or fonts cannot skew it).
import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from "react";

export interface RowWindow {
  /** the scrolling element around the table */
  scroller: RefObject<HTMLDivElement | null>;
  onScroll(): void;
  /** rows [start, end) are drawn */
  start: number;
  end: number;
  /** heights of the spacer rows above and below the drawn ones, in px */
  before: number;
  after: number;
}

export function useRowWindow(count: number, opts: { rowHeight: number; overscan?: number }): RowWindow {
  const overscan = opts.overscan ?? 15;
  const scroller = useRef<HTMLDivElement | null>(null);
  const [rowHeight, setRowHeight] = useState(opts.rowHeight);
  // before the first measure: as many rows as the window could show
  const [view, setView] = useState({ top: 0, height: typeof window === "undefined" ? 900 : window.innerHeight });

  const measure = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const row = el.querySelector<HTMLElement>("tbody tr[data-row]");
    const h = row?.getBoundingClientRect().height;
    if (h && Math.abs(h - rowHeight) > 0.5) setRowHeight(h);
    setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
  }, [rowHeight]);

  useLayoutEffect(() => {
    measure();
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => measure());
    observer.observe(el);
    return () => observer.disconnect();
  }, [measure, count > 0]); // eslint-disable-line react-hooks/exhaustive-deps

  const start = Math.max(0, Math.min(count, Math.floor(view.top / rowHeight) - overscan));
  const end = Math.max(start, Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + overscan));
  return { scroller, onScroll: measure, start, end, before: start * rowHeight, after: (count - end) * rowHeight };
}
