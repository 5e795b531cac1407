// Small pieces every page uses.
import type { ReactNode } from "react";
import { percent } from "../lib/format";

const FINAL = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"]);
export const isFinal = (status: string | null | undefined) => !!status && FINAL.has(status);
export const isActive = (status: string | null | undefined) => status === "PENDING" || status === "RUNNING";

export function Status({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">–</span>;
  return <span className={`status status-${status.toLowerCase()}`} data-status={status}>{status.replace("_", " ")}</span>;
}

export function Progress({ value, status }: { value: number | null | undefined; status?: string }) {
  const p = Math.max(0, Math.min(1, value ?? 0));
  return (
    <div className={`progress ${status ? `progress-${status.toLowerCase()}` : ""}`} role="progressbar" aria-valuenow={Math.round(p * 100)} aria-valuemin={0} aria-valuemax={100}>
      <div className="progress-fill" style={{ width: `${p * 100}%` }} />
      <span className="progress-label">{percent(value ?? null)}</span>
    </div>
  );
}

export function Card({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: { message: string } | null | undefined }) {
  if (!error) return null;
  return <p className="error" role="alert">{error.message.replace(/^\[(GraphQL|Network)\] /, "")}</p>;
}

export function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">–</span>;
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function Pager({ hasOlder, hasNewer, onOlder, onNewer, total }: { hasOlder: boolean; hasNewer: boolean; onOlder(): void; onNewer(): void; total?: number }) {
  return (
    <div className="pager">
      <button onClick={onNewer} disabled={!hasNewer}>‹ Newer</button>
      <button onClick={onOlder} disabled={!hasOlder}>Older ›</button>
      {total !== undefined ? <span className="muted">{total} in all</span> : null}
    </div>
  );
}

/** keyset paging with a stack of cursors: Older pushes the page's end cursor, Newer pops */
export function nextPages(stack: (string | null)[], endCursor: string | null | undefined) {
  return { older: endCursor ? [...stack, endCursor] : stack, newer: stack.slice(0, -1) };
}
