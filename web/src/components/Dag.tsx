// A workflow's steps as a left-to-right graph: a step's column is the length of the longest
// dependency chain before it. Each box shows the step's live status and links to its execution.
import { href } from "../lib/router";

export interface DagStep {
  id: string;
  task: string;
  dependsOn: string[];
}

export interface StepState {
  executionId: string;
  status: string;
  progress?: number | null;
}

const W = 170;
const H = 54;
const GAP_X = 60;
const GAP_Y = 18;

export function layers(steps: DagStep[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const visit = (id: string, path: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (path.has(id)) return 0; // validated acyclic on save; never loop on bad data
    path.add(id);
    const deps = byId.get(id)?.dependsOn ?? [];
    const d = deps.length ? 1 + Math.max(...deps.map((p) => visit(p, path))) : 0;
    path.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const s of steps) visit(s.id, new Set());
  return depth;
}

export function Dag({ steps, states }: { steps: DagStep[]; states: Map<string, StepState> }) {
  const depth = layers(steps);
  const columns: DagStep[][] = [];
  for (const s of steps) (columns[depth.get(s.id)!] ??= []).push(s);
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => col.forEach((s, r) => pos.set(s.id, { x: c * (W + GAP_X) + 10, y: r * (H + GAP_Y) + 10 })));
  const width = columns.length * (W + GAP_X) - GAP_X + 20;
  const height = Math.max(...columns.map((c) => c.length)) * (H + GAP_Y) - GAP_Y + 20;
  return (
    <svg className="dag" width={width} height={height} viewBox={`0 0 ${width} ${height}`} data-testid="dag">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#94a3b8" />
        </marker>
      </defs>
      {steps.flatMap((s) =>
        s.dependsOn.map((d) => {
          const a = pos.get(d);
          const b = pos.get(s.id)!;
          if (!a) return null;
          return <path key={`${d}->${s.id}`} d={`M ${a.x + W} ${a.y + H / 2} C ${a.x + W + GAP_X / 2} ${a.y + H / 2}, ${b.x - GAP_X / 2} ${b.y + H / 2}, ${b.x} ${b.y + H / 2}`} stroke="#94a3b8" fill="none" markerEnd="url(#arrow)" />;
        }),
      )}
      {steps.map((s) => {
        const p = pos.get(s.id)!;
        const state = states.get(s.id);
        const status = state?.status ?? "NOT_STARTED";
        const box = (
          <g className={`step step-${status.toLowerCase()}`} data-step={s.id} data-status={status}>
            <rect x={p.x} y={p.y} width={W} height={H} rx={6} />
            <text x={p.x + 10} y={p.y + 20} className="step-id">{s.id}</text>
            <text x={p.x + 10} y={p.y + 40} className="step-status">{status.replace("_", " ")}{state?.progress != null && status === "RUNNING" ? ` ${Math.round(state.progress * 100)}%` : ""}</text>
            {status === "RUNNING" && state?.progress != null ? <rect x={p.x} y={p.y + H - 4} width={W * state.progress} height={4} className="step-bar" /> : null}
          </g>
        );
        return state ? <a key={s.id} href={href.execution(state.executionId)}>{box}</a> : <g key={s.id}>{box}</g>;
      })}
    </svg>
  );
}
