// Live data hooks shared by pages: the coalesced feed of active executions, and refetching a
// query when the socket (re)connects or when something it shows changed.
import { useEffect, useRef } from "react";
import { useSubscription } from "urql";
import { graphql } from "../gql";
import type { ActiveExecutionsSubscription } from "../gql/graphql";
import { useSession } from "../session";
import { useFrameMap } from "./throttle";

const ActiveExecutions = graphql(`
  subscription ActiveExecutions($taskId: ID, $intervalMs: Int) {
    activeExecutions(taskId: $taskId, intervalMs: $intervalMs) {
      snapshot
      executions {
        id status progress progressMessage currentItem processedItems totalItems
        scheduledAt startedAt finishedAt stepId error
        task { id name }
        parent { id }
      }
    }
  }
`);

export type ActiveExecution = ActiveExecutionsSubscription["activeExecutions"]["executions"][number];

/**
 * Every active execution (of one task with taskId), kept current from the server's coalesced
 * batches and rendered at most once per frame. `onFinished` hears the runs that just ended.
 */
export function useActiveExecutions(opts: { taskId?: string; onFinished?(executions: ActiveExecution[]): void } = {}) {
  const map = useFrameMap<ActiveExecution>();
  const finished = useRef(opts.onFinished);
  finished.current = opts.onFinished;
  useSubscription({ query: ActiveExecutions, variables: { taskId: opts.taskId ?? null, intervalMs: 250 } }, (_prev, data) => {
    const batch = data.activeExecutions;
    if (batch.snapshot) map.replace(batch.executions);
    else {
      map.merge(batch.executions, (e) => e.status === "PENDING" || e.status === "RUNNING");
      const ended = batch.executions.filter((e) => e.status !== "PENDING" && e.status !== "RUNNING");
      if (ended.length) finished.current?.(ended);
    }
    return data;
  });
  return map;
}

/** calls `refetch` when the socket reconnects (the server may have restarted meanwhile) */
export function useRefetchOnReconnect(refetch: () => void) {
  const { epoch } = useSession();
  const first = useRef(epoch);
  const latest = useRef(refetch);
  latest.current = refetch;
  useEffect(() => {
    if (epoch !== first.current) latest.current();
  }, [epoch]);
}
