// The audit trail: who did what, when, and whether it worked; filters and paging.
import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { Card, ErrorNote, Pager, nextPages } from "../components/ui";
import { dateTime } from "../lib/format";
import { href } from "../lib/router";

const AuditQuery = graphql(`
  query AuditEvents($first: Int!, $after: String, $taskId: ID, $action: String, $actor: String, $ok: Boolean) {
    auditEvents(first: $first, after: $after, taskId: $taskId, action: $action, actor: $actor, ok: $ok) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id at actor action ok error details task { name } execution { id } } }
    }
  }
`);

const ACTIONS = [
  "task.create", "task.update", "task.delete", "task.enable", "task.disable", "task.pause", "task.resume", "task.trigger",
  "execution.cancel", "execution.markFailed", "execution.delete", "execution.retry", "execution.sweep", "execution.shutdownCancel",
  "execution.prune", "schedule.misfire", "scheduler.pause", "scheduler.resume",
];

export function Audit() {
  return (
    <Card title="Audit log">
      <AuditTable filters />
    </Card>
  );
}

export function AuditTable({ taskId, filters = false }: { taskId?: string; filters?: boolean }) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [ok, setOk] = useState<"" | "true" | "false">("");
  const reset = () => setStack([null]);
  const [result] = useQuery({
    query: AuditQuery,
    variables: { first: filters ? 50 : 10, after: stack.at(-1) ?? null, taskId: taskId ?? null, action: action || null, actor: actor.trim() || null, ok: ok ? ok === "true" : null },
    requestPolicy: "network-only",
  });
  const page = result.data?.auditEvents;
  const pages = nextPages(stack, page?.pageInfo.endCursor);
  return (
    <>
      {filters ? (
        <div className="filters">
          <select value={action} onChange={(e) => { setAction(e.target.value); reset(); }} aria-label="action">
            <option value="">every action</option>
            {ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
          <input placeholder="actor (a token's sub, or system)" value={actor} onChange={(e) => { setActor(e.target.value); reset(); }} aria-label="actor" />
          <select value={ok} onChange={(e) => { setOk(e.target.value as typeof ok); reset(); }} aria-label="outcome">
            <option value="">ok or refused</option>
            <option value="true">ok</option>
            <option value="false">refused / failed</option>
          </select>
        </div>
      ) : null}
      <ErrorNote error={result.error} />
      <table data-testid="audit">
        <thead><tr><th>When</th><th>Actor</th><th>Action</th><th>Outcome</th><th>Task</th><th>Execution</th><th>Details</th></tr></thead>
        <tbody>
          {page?.edges.map(({ node: a }) => (
            <tr key={a.id}>
              <td>{dateTime(a.at)}</td>
              <td>{a.actor ?? <span className="muted">–</span>}</td>
              <td><code>{a.action}</code></td>
              <td>{a.ok ? <span className="status status-succeeded">ok</span> : <span className="status status-failed" title={a.error ?? ""}>refused</span>}{a.error ? <div className="small muted clip">{a.error}</div> : null}</td>
              <td>{a.task ? <a href={href.task(a.task.name)}>{a.task.name}</a> : null}</td>
              <td>{a.execution ? <a href={href.execution(a.execution.id)}>open</a> : null}</td>
              <td className="clip small">{a.details ? JSON.stringify(a.details) : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && !page.edges.length ? <p className="muted">No events.</p> : null}
      <Pager total={page?.totalCount} hasNewer={stack.length > 1} hasOlder={!!page?.pageInfo.hasNextPage} onNewer={() => setStack(pages.newer)} onOlder={() => setStack(pages.older)} />
    </>
  );
}
