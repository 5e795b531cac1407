import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary folder for the small programs a test runs as COMMAND tasks. */
export function scriptFolder(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    /** writes `source` to `name` in the folder and returns its path */
    write(name: string, source: string): string {
      const file = join(dir, name);
      writeFileSync(file, source);
      return file;
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
