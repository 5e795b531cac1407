// HANDLER executor: runs an in-process function from the registry.
import type { HandlerRegistry } from "./handlers/registry.ts";
import { describeReason, ExecutionFailure, formatIssues, type ExecutionContext, type Executor } from "./types.ts";

// the same schema that validated the config when the task was saved
export { handlerConfig as handlerConfigSchema, type HandlerConfig } from "../tasks/config-schemas.ts";
import { handlerConfig as handlerConfigSchema } from "../tasks/config-schemas.ts";

export function createHandlerExecutor(registry: HandlerRegistry): Executor {
  return async function runHandler(ctx: ExecutionContext) {
    const parsed = handlerConfigSchema.safeParse(ctx.config);
    if (!parsed.success) {
      throw new ExecutionFailure(`invalid HANDLER config: ${formatIssues(parsed.error)}`);
    }
    const name = parsed.data.handler;
    const handler = registry.get(name);
    if (!handler) {
      throw new ExecutionFailure(`unknown handler "${name}"; known: ${registry.names().join(", ") || "(none)"}`);
    }
    if (ctx.signal.aborted) throw new ExecutionFailure(`aborted: ${describeReason(ctx.signal.reason)}`);

    // In-process code cannot be killed: a handler that ignores the signal keeps running, but the
    // run still ends promptly on abort so a slot is never held by a stuck handler.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new ExecutionFailure(`aborted: ${describeReason(ctx.signal.reason)}`));
      ctx.signal.addEventListener("abort", onAbort, { once: true });
    });
    const running = Promise.resolve().then(() => handler(ctx));
    running.catch((err: unknown) => {
      if (ctx.signal.aborted) ctx.logger.debug({ err, handler: name }, "handler settled after abort");
    });
    try {
      const result = await Promise.race([running, aborted]);
      return { result };
    } finally {
      ctx.signal.removeEventListener("abort", onAbort!);
      aborted.catch(() => {}); // never observed when the handler wins
    }
  };
}
