// Every task in one table with search and filters; switches flip in place.
import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { TaskKind, TasksQuery } from "../gql/graphql";
import { Card, ErrorNote, Status } from "../components/ui";
import { dateTime, duration, percent, relative, scheduleInWords } from "../lib/format";
import { useActiveExecutions, useRefetchOnReconnect } from "../lib/live";
import { href } from "../lib/router";
import { useThrottled } from "../lib/throttle";
import { useSession } from "../session";

const TasksQueryDoc = graphql(`
  query Tasks($filter: TaskFilter, $since: DateTime!) {
    tasks(first: 1000, filter: $filter) {
      totalCount
      edges {
        node {
          id name displayName kind enabled paused nextRunAt
          schedule { cron intervalSeconds runAt timezone }
          stats(from: $since) { total successRate p95DurationMs lastStatus }
          lastExecution { id status }
        }
      }
    }
  }
`);

const TaskChanges = graphql(`subscription TaskChanges { taskChanged { id } }`);

const EnableTask = graphql(`mutation EnableTask($id: ID!) { enableTask(id: $id) { id enabled paused nextRunAt } }`);
const DisableTask = graphql(`mutation DisableTask($id: ID!) { disableTask(id: $id) { id enabled paused nextRunAt } }`);
const PauseTask = graphql(`mutation PauseTask($id: ID!) { pauseTask(id: $id) { id enabled paused nextRunAt } }`);
const ResumeTask = graphql(`mutation ResumeTask($id: ID!) { resumeTask(id: $id) { id enabled paused nextRunAt } }`);

export type TaskRow = TasksQuery["tasks"]["edges"][number]["node"];

const KINDS: TaskKind[] = ["COMMAND", "HTTP", "HANDLER", "WORKFLOW"];

export function Tasks() {
  const [search, setSearch] = useState("");
  const [debounced, setDebounced] = useState("");
  const [kind, setKind] = useState<TaskKind | "">("");
  const [state, setState] = useState<"" | "enabled" | "disabled" | "paused">("");
  useEffect(() => {
    const t = setTimeout(() => setDebounced(search.trim()), 200);
    return () => clearTimeout(t);
  }, [search]);
  const since = useMemo(() => new Date(Date.now() - 7 * 24 * 3600_000).toISOString(), []);
  const filter = {
    ...(debounced ? { search: debounced } : {}),
    ...(kind ? { kind } : {}),
    ...(state === "enabled" ? { enabled: true, paused: false } : state === "disabled" ? { enabled: false } : state === "paused" ? { paused: true } : {}),
  };
  const [result, refetch] = useQuery({ query: TasksQueryDoc, variables: { filter, since } });
  const reload = useThrottled(() => refetch({ requestPolicy: "network-only" }), 3000);
  useRefetchOnReconnect(reload);
  useSubscription({ query: TaskChanges }, () => (reload(), true));
  useActiveExecutions({ onFinished: reload });
  const rows = result.data?.tasks.edges.map((e) => e.node) ?? [];

  return (
    <Card title={`Tasks${result.data ? ` (${result.data.tasks.totalCount})` : ""}`}>
      <div className="filters">
        <input type="search" placeholder="Search name, display name, description" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="search" />
        <select value={kind} onChange={(e) => setKind(e.target.value as TaskKind | "")} aria-label="kind">
          <option value="">every kind</option>
          {KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
        </select>
        <select value={state} onChange={(e) => setState(e.target.value as typeof state)} aria-label="state">
          <option value="">enabled or not</option>
          <option value="enabled">enabled, not paused</option>
          <option value="paused">paused</option>
          <option value="disabled">disabled</option>
        </select>
      </div>
      <ErrorNote error={result.error} />
      <table className="tasks" data-testid="tasks">
        <thead>
          <tr><th>Name</th><th>Kind</th><th>Schedule</th><th>Next fire</th><th>State</th><th>Last</th><th>Success (7 d)</th><th>p95 (7 d)</th><th /></tr>
        </thead>
        <tbody>{rows.map((t) => <TaskLine key={t.id} task={t} />)}</tbody>
      </table>
      {result.data && result.data.tasks.totalCount > rows.length ? <p className="muted">Showing the first {rows.length}; search to narrow down.</p> : null}
      {result.data && !rows.length ? <p className="muted">No task matches.</p> : null}
    </Card>
  );
}

function TaskLine({ task: t }: { task: TaskRow }) {
  const { canOperate } = useSession();
  return (
    <tr data-task={t.name}>
      <td><a href={href.task(t.name)}>{t.name}</a>{t.displayName ? <div className="muted small">{t.displayName}</div> : null}</td>
      <td>{t.kind}</td>
      <td>{scheduleInWords(t.schedule)}</td>
      <td title={dateTime(t.nextRunAt)}>{t.nextRunAt ? relative(t.nextRunAt) : <span className="muted">–</span>}</td>
      <td>{!t.enabled ? <span className="status status-skipped">disabled</span> : t.paused ? <span className="status status-cancelled">paused</span> : <span className="status status-succeeded">enabled</span>}</td>
      <td>{t.lastExecution ? <a href={href.execution(t.lastExecution.id)}><Status status={t.lastExecution.status} /></a> : <span className="muted">never ran</span>}</td>
      <td>{percent(t.stats.successRate)}</td>
      <td>{duration(t.stats.p95DurationMs)}</td>
      <td className="actions">{canOperate ? <TaskSwitches task={t} /> : null}</td>
    </tr>
  );
}

export function TaskSwitches({ task }: { task: Pick<TaskRow, "id" | "enabled" | "paused"> }) {
  const [enable, doEnable] = useMutation(EnableTask);
  const [disable, doDisable] = useMutation(DisableTask);
  const [pause, doPause] = useMutation(PauseTask);
  const [resume, doResume] = useMutation(ResumeTask);
  const busy = enable.fetching || disable.fetching || pause.fetching || resume.fetching;
  const error = enable.error ?? disable.error ?? pause.error ?? resume.error;
  const id = { id: task.id };
  return (
    <span className="switches">
      {task.enabled ? <button disabled={busy} onClick={() => doDisable(id)}>Disable</button> : <button disabled={busy} onClick={() => doEnable(id)}>Enable</button>}
      {task.paused ? <button disabled={busy} onClick={() => doResume(id)}>Resume</button> : <button disabled={busy} onClick={() => doPause(id)}>Pause</button>}
      <ErrorNote error={error} />
    </span>
  );
}
