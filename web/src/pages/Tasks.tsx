// Every task in one table with search and filters; switches flip in place.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useClient, useMutation, useSubscription, type CombinedError } from "urql";
import { graphql } from "../gql";
import type { TaskKind, TasksQuery, TasksQueryVariables, TaskStatsQuery } from "../gql/graphql";
import { Card, ErrorNote, Status } from "../components/ui";
import { dateTime, duration, percent, relative, scheduleInWords } from "../lib/format";
import { useActiveExecutions, useRefetchOnReconnect } from "../lib/live";
import { href } from "../lib/router";
import { useThrottled } from "../lib/throttle";
import { useRowWindow } from "../lib/windowing";
import { useSession } from "../session";

// The table's columns first (cheap: one indexed read per page), then the 7-day statistics of the
// same pages (an aggregate over their runs): the rows are on screen and answer input before the
// statistics are in.
const TasksQueryDoc = graphql(`
  query Tasks($filter: TaskFilter, $after: String) {
    tasks(first: 250, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name displayName kind enabled paused nextRunAt
          schedule { cron intervalSeconds runAt timezone }
        }
      }
    }
  }
`);

const TaskStatsQueryDoc = graphql(`
  query TaskStats($filter: TaskFilter, $since: DateTime!, $after: String) {
    tasks(first: 250, after: $after, filter: $filter) {
      edges { node { id stats(from: $since) { total successRate p95DurationMs lastStatus } } }
    }
  }
`);

const TaskChanges = graphql(`subscription TaskChanges { taskChanged { id } }`);

const EnableTask = graphql(`mutation EnableTask($id: ID!) { enableTask(id: $id) { id enabled paused nextRunAt } }`);
const DisableTask = graphql(`mutation DisableTask($id: ID!) { disableTask(id: $id) { id enabled paused nextRunAt } }`);
const PauseTask = graphql(`mutation PauseTask($id: ID!) { pauseTask(id: $id) { id enabled paused nextRunAt } }`);
const ResumeTask = graphql(`mutation ResumeTask($id: ID!) { resumeTask(id: $id) { id enabled paused nextRunAt } }`);

export type TaskRow = TasksQuery["tasks"]["edges"][number]["node"];
type TaskStats = TaskStatsQuery["tasks"]["edges"][number]["node"]["stats"];

const KINDS: TaskKind[] = ["COMMAND", "HTTP", "HANDLER", "WORKFLOW"];
/** the table shows at most this many tasks (search narrows down) */
const MAX_ROWS = 1000;
/** every row's height in px (styles.css: table.tasks tbody tr[data-row]); measured again once drawn */
const ROW_HEIGHT = 49;

/**
 * Pages through the tasks (250 a page: the first rows show at once, few round trips); each page's
 * statistics are asked for (same cursor) as soon as its columns are in, alongside the next page,
 * and merged in as they arrive. (Asking for all the statistics only after the last page drew the
 * table ~100 ms sooner but had the statistics in ~200 ms later, on a loaded machine.) A new filter draws each
 * page as it comes; a refresh of the same list (a task changed, a run ended) swaps the rows in
 * whole at the end, so the table never shrinks or jumps under the reader meanwhile.
 */
function useAllTasks(filter: TasksQueryVariables["filter"], since: string) {
  const client = useClient();
  const [state, setState] = useState<{ rows: TaskRow[]; total: number | null; error: CombinedError | null }>({ rows: [], total: null, error: null });
  const [stats, setStats] = useState<ReadonlyMap<string, TaskStats>>(() => new Map());
  const [version, setVersion] = useState(0);
  const shown = useRef<string | null>(null);
  const key = JSON.stringify(filter);
  useEffect(() => {
    let cancelled = false;
    const progressive = shown.current !== key;
    const failed = (error: CombinedError | undefined) => void (!cancelled && setState((s) => ({ ...s, error: error ?? null })));
    const statsOf = async (after: string | null) => {
      const r = await client.query(TaskStatsQueryDoc, { filter, since, after }, { requestPolicy: "network-only" }).toPromise();
      if (cancelled) return;
      if (r.error || !r.data) return failed(r.error);
      const edges = r.data.tasks.edges;
      setStats((m) => {
        const next = new Map(m);
        for (const e of edges) next.set(e.node.id, e.node.stats);
        return next;
      });
    };
    void (async () => {
      const rows: TaskRow[] = [];
      const pages: Promise<void>[] = [];
      let after: string | null = null;
      let total = 0;
      do {
        const variables: TasksQueryVariables = { filter, after };
        const r = await client.query(TasksQueryDoc, variables, { requestPolicy: "network-only" }).toPromise();
        if (cancelled) return;
        if (r.error || !r.data) return failed(r.error);
        rows.push(...r.data.tasks.edges.map((e) => e.node));
        total = r.data.tasks.totalCount;
        if (progressive) {
          shown.current = key;
          setState({ rows: [...rows], total, error: null });
        }
        pages.push(statsOf(after));
        after = r.data.tasks.pageInfo.hasNextPage ? (r.data.tasks.pageInfo.endCursor ?? null) : null;
      } while (after && rows.length < MAX_ROWS);
      if (!progressive) setState({ rows, total, error: null });
      await Promise.all(pages);
    })();
    return () => void (cancelled = true);
  }, [client, key, since, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  /** a switch flipped: patch the row at once (the next reload brings the rest) */
  const patch = useCallback((task: Pick<TaskRow, "id" | "enabled" | "paused" | "nextRunAt">) => {
    setState((s) => ({ ...s, rows: s.rows.map((r) => (r.id === task.id ? { ...r, ...task } : r)) }));
  }, []);
  return { ...state, stats, reload, patch };
}

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
  const tasks = useAllTasks(filter, since);
  const reload = useThrottled(tasks.reload, 3000);
  useRefetchOnReconnect(reload);
  useSubscription({ query: TaskChanges }, () => (reload(), true));
  useActiveExecutions({ onFinished: reload });
  const rows = tasks.rows;
  // only the rows in view are drawn (see lib/windowing): 1,000 tasks draw as fast as 40
  const win = useRowWindow(rows.length, { rowHeight: ROW_HEIGHT });

  return (
    <Card title={`Tasks${tasks.total !== null ? ` (${tasks.total})` : ""}`}>
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
      <ErrorNote error={tasks.error} />
      <div className="table-scroll" ref={win.scroller} onScroll={win.onScroll}>
      <table className="tasks" data-testid="tasks" data-rows={rows.length} data-stats={rows.filter((r) => tasks.stats.has(r.id)).length}>
        <colgroup>
          <col /><col style={{ width: 100 }} /><col style={{ width: 270 }} /><col style={{ width: 100 }} /><col style={{ width: 90 }} />
          <col style={{ width: 110 }} /><col style={{ width: 100 }} /><col style={{ width: 80 }} /><col style={{ width: 180 }} />
        </colgroup>
        <thead>
          <tr><th>Name</th><th>Kind</th><th>Schedule</th><th>Next fire</th><th>State</th><th>Last (7 d)</th><th>Success (7 d)</th><th>p95 (7 d)</th><th /></tr>
        </thead>
        <tbody>
          {win.before ? <tr className="spacer" aria-hidden="true" style={{ height: win.before }} /> : null}
          {rows.slice(win.start, win.end).map((t) => <TaskLine key={t.id} task={t} stats={tasks.stats.get(t.id)} onChanged={tasks.patch} />)}
          {win.after ? <tr className="spacer" aria-hidden="true" style={{ height: win.after }} /> : null}
        </tbody>
      </table>
      </div>
      {tasks.total !== null && tasks.total > rows.length ? <p className="muted">Showing {rows.length} of {tasks.total}; search to narrow down.</p> : null}
      {tasks.total === 0 ? <p className="muted">No task matches.</p> : null}
    </Card>
  );
}

// memo: a page of tasks arriving draws only its own rows, not the ones already on screen
const TaskLine = memo(function TaskLine({ task: t, stats, onChanged }: { task: TaskRow; stats: TaskStats | undefined; onChanged(task: Pick<TaskRow, "id" | "enabled" | "paused" | "nextRunAt">): void }) {
  const { canOperate } = useSession();
  return (
    <tr data-row data-task={t.name}>
      <td><a href={href.task(t.name)}>{t.name}</a>{t.displayName ? <div className="muted small">{t.displayName}</div> : null}</td>
      <td>{t.kind}</td>
      <td title={t.schedule?.cron ? `${scheduleInWords(t.schedule)} — cron ${t.schedule.cron}` : undefined}>{scheduleInWords(t.schedule)}</td>
      <td title={dateTime(t.nextRunAt)}>{t.nextRunAt ? relative(t.nextRunAt) : <span className="muted">–</span>}</td>
      <td>{!t.enabled ? <span className="status status-skipped">disabled</span> : t.paused ? <span className="status status-cancelled">paused</span> : <span className="status status-succeeded">enabled</span>}</td>
      {stats ? (
        <>
          <td>{stats.lastStatus ? <Status status={stats.lastStatus} /> : <span className="muted">{stats.total ? "running" : "no runs"}</span>}</td>
          <td>{percent(stats.successRate)}</td>
          <td>{duration(stats.p95DurationMs)}</td>
        </>
      ) : (
        <td colSpan={3} className="muted" aria-busy="true">…</td>
      )}
      <td className="actions">{canOperate ? <TaskSwitches task={t} onChanged={onChanged} /> : null}</td>
    </tr>
  );
});

export function TaskSwitches({ task, onChanged }: { task: Pick<TaskRow, "id" | "enabled" | "paused">; onChanged?(task: Pick<TaskRow, "id" | "enabled" | "paused" | "nextRunAt">): void }) {
  const [enable, doEnable] = useMutation(EnableTask);
  const [disable, doDisable] = useMutation(DisableTask);
  const [pause, doPause] = useMutation(PauseTask);
  const [resume, doResume] = useMutation(ResumeTask);
  const busy = enable.fetching || disable.fetching || pause.fetching || resume.fetching;
  const error = enable.error ?? disable.error ?? pause.error ?? resume.error;
  const id = { id: task.id };
  const after = (r: { data?: Record<string, Pick<TaskRow, "id" | "enabled" | "paused" | "nextRunAt">> }) => {
    const changed = r.data && Object.values(r.data)[0];
    if (changed) onChanged?.(changed);
  };
  return (
    <span className="switches">
      {task.enabled ? <button disabled={busy} onClick={() => doDisable(id).then(after)}>Disable</button> : <button disabled={busy} onClick={() => doEnable(id).then(after)}>Enable</button>}
      {task.paused ? <button disabled={busy} onClick={() => doResume(id).then(after)}>Resume</button> : <button disabled={busy} onClick={() => doPause(id).then(after)}>Pause</button>}
      <ErrorNote error={error} />
    </span>
  );
}
