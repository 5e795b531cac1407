// Built-in `demo.*` handlers: enough to exercise scheduling, progress, cancellation and failure
// without any external program.
import { z } from "zod";
import { describeReason, ExecutionFailure, formatIssues, type ExecutionContext } from "../types.ts";

const MAX_TIMER_MS = 2_147_483_647; // setTimeout's ceiling

const sleepParams = z.object({ ms: z.number().int().min(0).max(MAX_TIMER_MS) });
const countdownParams = z.object({
  steps: z.number().int().min(1).max(100_000).default(5),
  stepMs: z.number().int().min(0).max(MAX_TIMER_MS).default(1000),
});
const failParams = z.object({ message: z.string().min(1).default("demo.fail always fails") });

export const demoHandlers = {
  "demo.sleep": async (ctx: ExecutionContext) => {
    const { ms } = parseParams("demo.sleep", sleepParams, ctx.params);
    if (ms > 0) await sleep(ms, ctx.signal); // a zero sleep is a no-op run: no timer turn
    return { sleptMs: ms };
  },

  "demo.countdown": async (ctx: ExecutionContext) => {
    const { steps, stepMs } = parseParams("demo.countdown", countdownParams, ctx.params);
    for (let i = 1; i <= steps; i++) {
      await sleep(stepMs, ctx.signal);
      ctx.progress({
        progress: i / steps,
        message: `step ${i} of ${steps}`,
        processed: i,
        total: steps,
        currentItem: `step-${i}`,
      });
    }
    return { steps };
  },

  "demo.fail": async (ctx: ExecutionContext): Promise<never> => {
    const { message } = parseParams("demo.fail", failParams, ctx.params);
    throw new ExecutionFailure(message);
  },
} satisfies Record<string, (ctx: ExecutionContext) => Promise<unknown>>;

/** Validates a handler's params, failing the run with a message that names the bad fields. */
export function parseParams<T extends z.ZodType>(handler: string, schema: T, params: unknown): z.output<T> {
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) {
    throw new ExecutionFailure(`invalid params for ${handler}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Resolves after `ms`, or rejects with an ExecutionFailure as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ExecutionFailure(`aborted: ${describeReason(signal.reason)}`));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ExecutionFailure(`aborted: ${describeReason(signal.reason)}`));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
