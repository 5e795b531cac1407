// In-process handlers for the HANDLER task kind, looked up by name. Embedders register their own
// next to the `demo.*` built-ins.
import type { ExecutionContext } from "../types.ts";
import { demoHandlers } from "./demo.ts";

/** Resolves to the execution's result; throw an ExecutionFailure to fail with a clean message.
 *  Must watch `ctx.signal`: the executor stops waiting on abort but cannot stop the handler. */
export type Handler = (ctx: ExecutionContext) => Promise<unknown>;

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export class HandlerRegistry {
  readonly #handlers = new Map<string, Handler>();

  /** Throws on a duplicate name: two handlers silently fighting over one name is always a bug. */
  register(name: string, fn: Handler): this {
    if (!NAME.test(name)) throw new Error(`invalid handler name "${name}"`);
    if (this.#handlers.has(name)) throw new Error(`handler "${name}" is already registered`);
    this.#handlers.set(name, fn);
    return this;
  }

  get(name: string): Handler | undefined {
    return this.#handlers.get(name);
  }

  has(name: string): boolean {
    return this.#handlers.has(name);
  }

  names(): string[] {
    return [...this.#handlers.keys()].sort();
  }
}

export function createDefaultHandlerRegistry(): HandlerRegistry {
  const registry = new HandlerRegistry();
  for (const [name, fn] of Object.entries(demoHandlers)) registry.register(name, fn);
  return registry;
}
