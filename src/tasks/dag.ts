// Shape checks of a workflow's steps that need no database: unique ids, no dangling dependsOn,
// no cycle. Errors name the step path so a client can point at it.
import type { WorkflowStep } from "./config-schemas.ts";

export class DagError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

export function checkDag(steps: WorkflowStep[]): void {
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (index.has(s.id)) throw new DagError(`steps.${i}.id`, `duplicate step id "${s.id}"`);
    index.set(s.id, i);
  });
  steps.forEach((s, i) =>
    s.dependsOn.forEach((d, j) => {
      if (!index.has(d)) throw new DagError(`steps.${i}.dependsOn.${j}`, `step "${s.id}" depends on unknown step "${d}"`);
    }),
  );
  const cycle = findCycle(steps);
  if (cycle) throw new DagError("steps", `workflow has a cycle: ${cycle.join(" → ")}`);
}

/** A cycle as step ids with the first repeated at the end (a → b → a), or null. */
export function findCycle(steps: WorkflowStep[]): string[] | null {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === "done") return null;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(id, "done");
    return null;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found) return found.reverse(); // report in run order: a → b means b runs after a
  }
  return null;
}

/** Steps in a deterministic topological order: among ready steps, the one declared first. */
export function topologicalOrder(steps: WorkflowStep[]): WorkflowStep[] {
  const done = new Set<string>();
  const order: WorkflowStep[] = [];
  while (order.length < steps.length) {
    const next = steps.find((s) => !done.has(s.id) && s.dependsOn.every((d) => done.has(d)));
    if (!next) throw new DagError("steps", "workflow has a cycle");
    done.add(next.id);
    order.push(next);
  }
  return order;
}
