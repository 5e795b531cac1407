// A background loop that never overlaps itself, never throws out of its timer, can be woken
// early, and whose stop() waits for the body in flight (so nothing touches a closed database).
import type { Logger } from "../logging/logger.ts";

export interface Loop {
  start(): void;
  /** run again as soon as the current run (if any) ends */
  wake(): void;
  stop(): Promise<void>;
}

export function loop(name: string, everyMs: number, body: () => Promise<unknown>, logger: Logger): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = body()
      .then(() => undefined, (e) => logger.error({ err: e, loop: name }, "loop failed"))
      .finally(() => {
        running = null;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(run);
        } else timer = setTimeout(run, everyMs);
      });
  };
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(run, 0);
    },
    wake: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
