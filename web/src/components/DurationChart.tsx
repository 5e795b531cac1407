// Durations over time (avg, p95, max per bucket) and failures, drawn with uPlot: small (~50 kB),
// fast on thousands of points, canvas-based. Loaded only with the task page.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Bucket {
  start: string;
  total: number;
  failed: number;
  timedOut: number;
  avgDurationMs?: number | null;
  p95DurationMs?: number | null;
  maxDurationMs?: number | null;
}

export default function DurationChart({ buckets }: { buckets: Bucket[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const seconds = (v: number | null | undefined) => (v == null ? null : v / 1000);
    const data: uPlot.AlignedData = [
      buckets.map((b) => new Date(b.start).getTime() / 1000),
      buckets.map((b) => seconds(b.avgDurationMs)),
      buckets.map((b) => seconds(b.p95DurationMs)),
      buckets.map((b) => seconds(b.maxDurationMs)),
      buckets.map((b) => (b.failed + b.timedOut ? b.failed + b.timedOut : null)),
    ];
    const plot = new uPlot(
      {
        width: el.clientWidth || 600,
        height: 220,
        scales: { x: { time: true }, runs: { auto: true } },
        axes: [{}, { label: "seconds", size: 60 }, { scale: "runs", side: 1, label: "failed runs", grid: { show: false } }],
        series: [
          {},
          { label: "avg", stroke: "#2563eb", width: 2, spanGaps: true },
          { label: "p95", stroke: "#f59e0b", width: 2, spanGaps: true },
          { label: "max", stroke: "#9ca3af", width: 1, dash: [4, 4], spanGaps: true },
          { label: "failed", scale: "runs", stroke: "#dc2626", fill: "rgba(220,38,38,0.25)", paths: uPlot.paths.bars!({ size: [0.6, 20] }), points: { show: false } },
        ],
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [buckets]);
  return <div ref={box} className="chart" data-testid="duration-chart" />;
}
