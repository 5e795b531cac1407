// Pure checks of a workflow's step graph (src/tasks/dag.ts): no database, no clock.
import { describe, expect, test } from "vitest";
import type { WorkflowStep } from "../../src/tasks/config-schemas.ts";
import { checkDag, DagError, findCycle, topologicalOrder } from "../../src/tasks/dag.ts";

const step = (id: string, ...dependsOn: string[]): WorkflowStep => ({ id, task: `task_${id}`, dependsOn });
const ids = (steps: WorkflowStep[]) => steps.map((s) => s.id);

function dagError(steps: WorkflowStep[]): DagError {
  try {
    checkDag(steps);
  } catch (e) {
    expect(e).toBeInstanceOf(DagError);
    return e as DagError;
  }
  throw new Error("checkDag accepted the steps");
}

describe("findCycle / checkDag", () => {
  test("a cycle is named in run order, first step repeated at the end: a → b → c → a", () => {
    // b runs after a, c after b, a after c
    const steps = [step("a", "c"), step("b", "a"), step("c", "b")];
    expect(findCycle(steps)).toEqual(["a", "b", "c", "a"]);
    const e = dagError(steps);
    expect(e.path).toBe("steps");
    expect(e.message).toBe("workflow has a cycle: a → b → c → a");
  });

  test("a cycle is found even when the steps are declared in another order", () => {
    expect(findCycle([step("c", "b"), step("a", "c"), step("b", "a")])).toEqual(["c", "a", "b", "c"]);
  });

  test("a cycle behind an acyclic entry step is reported without the entry step", () => {
    const steps = [step("start"), step("x", "start", "z"), step("y", "x"), step("z", "y")];
    expect(findCycle(steps)).toEqual(["x", "y", "z", "x"]);
  });

  test("a step depending on itself is a cycle of one", () => {
    expect(findCycle([step("a", "a")])).toEqual(["a", "a"]);
    expect(dagError([step("a", "a")]).message).toBe("workflow has a cycle: a → a");
  });

  test("acyclic graphs (chains, diamonds, independent steps) pass", () => {
    const diamond = [step("a"), step("b", "a"), step("c", "a"), step("d", "b", "c")];
    expect(findCycle(diamond)).toBeNull();
    expect(() => checkDag(diamond)).not.toThrow();
    expect(() => checkDag([step("x"), step("y")])).not.toThrow();
    expect(() => checkDag([step("only")])).not.toThrow();
  });

  test("a duplicate step id names the second occurrence", () => {
    const e = dagError([step("a"), step("b"), step("a")]);
    expect(e.path).toBe("steps.2.id");
    expect(e.message).toContain('duplicate step id "a"');
  });

  test("a dependency on an unknown step names the step and the dependency index", () => {
    const e = dagError([step("a"), step("b", "a", "ghost")]);
    expect(e.path).toBe("steps.1.dependsOn.1");
    expect(e.message).toBe('step "b" depends on unknown step "ghost"');
  });
});

describe("topologicalOrder", () => {
  test("dependencies come first; among ready steps the one declared first wins", () => {
    const steps = [step("d", "b"), step("a"), step("b", "a"), step("c")];
    expect(ids(topologicalOrder(steps))).toEqual(["a", "b", "d", "c"]);
  });

  test("the order is deterministic: the same input always gives the same order", () => {
    const steps = [step("report", "load", "clean"), step("clean", "fetch"), step("fetch"), step("load", "fetch"), step("notify")];
    const first = ids(topologicalOrder(steps));
    expect(first).toEqual(["fetch", "clean", "load", "report", "notify"]);
    for (let i = 0; i < 5; i++) expect(ids(topologicalOrder(steps))).toEqual(first);
  });

  test("independent steps keep their declared order; a diamond joins last", () => {
    expect(ids(topologicalOrder([step("z"), step("y"), step("x")]))).toEqual(["z", "y", "x"]);
    expect(ids(topologicalOrder([step("d", "b", "c"), step("c", "a"), step("b", "a"), step("a")]))).toEqual(["a", "c", "b", "d"]);
  });

  test("every step appears once, after all of its dependencies", () => {
    const steps = [step("e", "c", "d"), step("d", "b"), step("c", "a", "b"), step("b"), step("a")];
    const order = ids(topologicalOrder(steps));
    expect([...order].sort()).toEqual(["a", "b", "c", "d", "e"]);
    for (const s of steps) for (const d of s.dependsOn) expect(order.indexOf(d)).toBeLessThan(order.indexOf(s.id));
  });

  test("a cycle throws DagError", () => {
    expect(() => topologicalOrder([step("a", "b"), step("b", "a")])).toThrow(DagError);
  });
});
