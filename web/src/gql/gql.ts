/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Viewer {\n    viewer { sub role }\n  }\n": typeof types.ViewerDocument,
    "\n  subscription ShellFeed {\n    schedulerUpdated { running }\n  }\n": typeof types.ShellFeedDocument,
    "\n  subscription ActiveExecutions($taskId: ID, $intervalMs: Int) {\n    activeExecutions(taskId: $taskId, intervalMs: $intervalMs) {\n      snapshot\n      executions {\n        id status progress progressMessage currentItem processedItems totalItems\n        scheduledAt startedAt finishedAt stepId error\n        task { id name }\n        parent { id }\n      }\n    }\n  }\n": typeof types.ActiveExecutionsDocument,
    "\n  query AuditEvents($first: Int!, $after: String, $taskId: ID, $action: String, $actor: String, $ok: Boolean) {\n    auditEvents(first: $first, after: $after, taskId: $taskId, action: $action, actor: $actor, ok: $ok) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id at actor action ok error details task { name } execution { id } } }\n    }\n  }\n": typeof types.AuditEventsDocument,
    "\n  query ExecutionPage($id: ID!) {\n    execution(id: $id) {\n      id status trigger manual attempt scheduledAt startedAt finishedAt durationMs params result error\n      progress progressMessage currentItem processedItems totalItems cancelRequested triggeredBy stepId workerId runAfter\n      task { id name kind config }\n      parent { id task { name } }\n      retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id } } } } }\n      retriedBy { id attempt status }\n      children(first: 100) { edges { node { id stepId status progress attempt } } }\n    }\n  }\n": typeof types.ExecutionPageDocument,
    "\n  subscription ExecutionFeed($id: ID!) {\n    executionUpdated(id: $id) {\n      id status progress progressMessage currentItem processedItems totalItems\n      startedAt finishedAt durationMs result error cancelRequested\n    }\n  }\n": typeof types.ExecutionFeedDocument,
    "\n  subscription LogFeed($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) { seq at stream text }\n  }\n": typeof types.LogFeedDocument,
    "mutation CancelExecution($id: ID!) { cancelExecution(id: $id) { id status cancelRequested } }": typeof types.CancelExecutionDocument,
    "mutation MarkExecutionFailed($id: ID!, $reason: String) { markExecutionFailed(id: $id, reason: $reason) { id status error } }": typeof types.MarkExecutionFailedDocument,
    "\n  subscription SchedulerFeed {\n    schedulerUpdated {\n      running paused instances tasks enabledTasks pausedTasks scheduledTasks\n      runningExecutions pendingExecutions startedAt version\n    }\n  }\n": typeof types.SchedulerFeedDocument,
    "\n  query Overview($since: DateTime!) {\n    stats(from: $since) { total succeeded failed timedOut cancelled skipped running pending successRate p95DurationMs }\n    executions(first: 8, filter: { status: [FAILED, TIMED_OUT], from: $since }) {\n      edges { node { id status error finishedAt attempt task { name } } }\n    }\n  }\n": typeof types.OverviewDocument,
    "mutation PauseScheduler { pauseScheduler { paused } }": typeof types.PauseSchedulerDocument,
    "mutation ResumeScheduler { resumeScheduler { paused } }": typeof types.ResumeSchedulerDocument,
    "\n  query TaskPage($name: String!, $from: DateTime!, $bucketSeconds: Int!) {\n    task(name: $name) {\n      id name displayName description kind config enabled paused\n      maxRetries retryDelaySeconds retryBackoff timeoutSeconds overlapPolicy misfirePolicy\n      nextRunAt upcomingFires(first: 5) createdAt updatedAt\n      schedule { cron intervalSeconds runAt timezone }\n      stats { total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus }\n      statsSeries(from: $from, bucketSeconds: $bucketSeconds) { start total failed timedOut avgDurationMs p95DurationMs maxDurationMs }\n    }\n  }\n": typeof types.TaskPageDocument,
    "\n  query TaskHistory($name: String!, $after: String, $filter: ExecutionFilter) {\n    task(name: $name) {\n      id\n      executions(first: 15, after: $after, filter: $filter) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges { node { id status trigger manual attempt scheduledAt startedAt durationMs error triggeredBy } }\n      }\n    }\n  }\n": typeof types.TaskHistoryDocument,
    "subscription TaskPageChanged($id: ID) { taskChanged(id: $id) { id } }": typeof types.TaskPageChangedDocument,
    "\n  mutation TriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) { id status }\n  }\n": typeof types.TriggerTaskDocument,
    "\n  query Tasks($filter: TaskFilter, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id name displayName kind enabled paused nextRunAt\n          schedule { cron intervalSeconds runAt timezone }\n        }\n      }\n    }\n  }\n": typeof types.TasksDocument,
    "\n  query TaskStats($filter: TaskFilter, $since: DateTime!, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      edges { node { id stats(from: $since) { total successRate p95DurationMs lastStatus } } }\n    }\n  }\n": typeof types.TaskStatsDocument,
    "subscription TaskChanges { taskChanged { id } }": typeof types.TaskChangesDocument,
    "mutation EnableTask($id: ID!) { enableTask(id: $id) { id enabled paused nextRunAt } }": typeof types.EnableTaskDocument,
    "mutation DisableTask($id: ID!) { disableTask(id: $id) { id enabled paused nextRunAt } }": typeof types.DisableTaskDocument,
    "mutation PauseTask($id: ID!) { pauseTask(id: $id) { id enabled paused nextRunAt } }": typeof types.PauseTaskDocument,
    "mutation ResumeTask($id: ID!) { resumeTask(id: $id) { id enabled paused nextRunAt } }": typeof types.ResumeTaskDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer { sub role }\n  }\n": types.ViewerDocument,
    "\n  subscription ShellFeed {\n    schedulerUpdated { running }\n  }\n": types.ShellFeedDocument,
    "\n  subscription ActiveExecutions($taskId: ID, $intervalMs: Int) {\n    activeExecutions(taskId: $taskId, intervalMs: $intervalMs) {\n      snapshot\n      executions {\n        id status progress progressMessage currentItem processedItems totalItems\n        scheduledAt startedAt finishedAt stepId error\n        task { id name }\n        parent { id }\n      }\n    }\n  }\n": types.ActiveExecutionsDocument,
    "\n  query AuditEvents($first: Int!, $after: String, $taskId: ID, $action: String, $actor: String, $ok: Boolean) {\n    auditEvents(first: $first, after: $after, taskId: $taskId, action: $action, actor: $actor, ok: $ok) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id at actor action ok error details task { name } execution { id } } }\n    }\n  }\n": types.AuditEventsDocument,
    "\n  query ExecutionPage($id: ID!) {\n    execution(id: $id) {\n      id status trigger manual attempt scheduledAt startedAt finishedAt durationMs params result error\n      progress progressMessage currentItem processedItems totalItems cancelRequested triggeredBy stepId workerId runAfter\n      task { id name kind config }\n      parent { id task { name } }\n      retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id } } } } }\n      retriedBy { id attempt status }\n      children(first: 100) { edges { node { id stepId status progress attempt } } }\n    }\n  }\n": types.ExecutionPageDocument,
    "\n  subscription ExecutionFeed($id: ID!) {\n    executionUpdated(id: $id) {\n      id status progress progressMessage currentItem processedItems totalItems\n      startedAt finishedAt durationMs result error cancelRequested\n    }\n  }\n": types.ExecutionFeedDocument,
    "\n  subscription LogFeed($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) { seq at stream text }\n  }\n": types.LogFeedDocument,
    "mutation CancelExecution($id: ID!) { cancelExecution(id: $id) { id status cancelRequested } }": types.CancelExecutionDocument,
    "mutation MarkExecutionFailed($id: ID!, $reason: String) { markExecutionFailed(id: $id, reason: $reason) { id status error } }": types.MarkExecutionFailedDocument,
    "\n  subscription SchedulerFeed {\n    schedulerUpdated {\n      running paused instances tasks enabledTasks pausedTasks scheduledTasks\n      runningExecutions pendingExecutions startedAt version\n    }\n  }\n": types.SchedulerFeedDocument,
    "\n  query Overview($since: DateTime!) {\n    stats(from: $since) { total succeeded failed timedOut cancelled skipped running pending successRate p95DurationMs }\n    executions(first: 8, filter: { status: [FAILED, TIMED_OUT], from: $since }) {\n      edges { node { id status error finishedAt attempt task { name } } }\n    }\n  }\n": types.OverviewDocument,
    "mutation PauseScheduler { pauseScheduler { paused } }": types.PauseSchedulerDocument,
    "mutation ResumeScheduler { resumeScheduler { paused } }": types.ResumeSchedulerDocument,
    "\n  query TaskPage($name: String!, $from: DateTime!, $bucketSeconds: Int!) {\n    task(name: $name) {\n      id name displayName description kind config enabled paused\n      maxRetries retryDelaySeconds retryBackoff timeoutSeconds overlapPolicy misfirePolicy\n      nextRunAt upcomingFires(first: 5) createdAt updatedAt\n      schedule { cron intervalSeconds runAt timezone }\n      stats { total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus }\n      statsSeries(from: $from, bucketSeconds: $bucketSeconds) { start total failed timedOut avgDurationMs p95DurationMs maxDurationMs }\n    }\n  }\n": types.TaskPageDocument,
    "\n  query TaskHistory($name: String!, $after: String, $filter: ExecutionFilter) {\n    task(name: $name) {\n      id\n      executions(first: 15, after: $after, filter: $filter) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges { node { id status trigger manual attempt scheduledAt startedAt durationMs error triggeredBy } }\n      }\n    }\n  }\n": types.TaskHistoryDocument,
    "subscription TaskPageChanged($id: ID) { taskChanged(id: $id) { id } }": types.TaskPageChangedDocument,
    "\n  mutation TriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) { id status }\n  }\n": types.TriggerTaskDocument,
    "\n  query Tasks($filter: TaskFilter, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id name displayName kind enabled paused nextRunAt\n          schedule { cron intervalSeconds runAt timezone }\n        }\n      }\n    }\n  }\n": types.TasksDocument,
    "\n  query TaskStats($filter: TaskFilter, $since: DateTime!, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      edges { node { id stats(from: $since) { total successRate p95DurationMs lastStatus } } }\n    }\n  }\n": types.TaskStatsDocument,
    "subscription TaskChanges { taskChanged { id } }": types.TaskChangesDocument,
    "mutation EnableTask($id: ID!) { enableTask(id: $id) { id enabled paused nextRunAt } }": types.EnableTaskDocument,
    "mutation DisableTask($id: ID!) { disableTask(id: $id) { id enabled paused nextRunAt } }": types.DisableTaskDocument,
    "mutation PauseTask($id: ID!) { pauseTask(id: $id) { id enabled paused nextRunAt } }": types.PauseTaskDocument,
    "mutation ResumeTask($id: ID!) { resumeTask(id: $id) { id enabled paused nextRunAt } }": types.ResumeTaskDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer { sub role }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer { sub role }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ShellFeed {\n    schedulerUpdated { running }\n  }\n"): (typeof documents)["\n  subscription ShellFeed {\n    schedulerUpdated { running }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ActiveExecutions($taskId: ID, $intervalMs: Int) {\n    activeExecutions(taskId: $taskId, intervalMs: $intervalMs) {\n      snapshot\n      executions {\n        id status progress progressMessage currentItem processedItems totalItems\n        scheduledAt startedAt finishedAt stepId error\n        task { id name }\n        parent { id }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ActiveExecutions($taskId: ID, $intervalMs: Int) {\n    activeExecutions(taskId: $taskId, intervalMs: $intervalMs) {\n      snapshot\n      executions {\n        id status progress progressMessage currentItem processedItems totalItems\n        scheduledAt startedAt finishedAt stepId error\n        task { id name }\n        parent { id }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditEvents($first: Int!, $after: String, $taskId: ID, $action: String, $actor: String, $ok: Boolean) {\n    auditEvents(first: $first, after: $after, taskId: $taskId, action: $action, actor: $actor, ok: $ok) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id at actor action ok error details task { name } execution { id } } }\n    }\n  }\n"): (typeof documents)["\n  query AuditEvents($first: Int!, $after: String, $taskId: ID, $action: String, $actor: String, $ok: Boolean) {\n    auditEvents(first: $first, after: $after, taskId: $taskId, action: $action, actor: $actor, ok: $ok) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id at actor action ok error details task { name } execution { id } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExecutionPage($id: ID!) {\n    execution(id: $id) {\n      id status trigger manual attempt scheduledAt startedAt finishedAt durationMs params result error\n      progress progressMessage currentItem processedItems totalItems cancelRequested triggeredBy stepId workerId runAfter\n      task { id name kind config }\n      parent { id task { name } }\n      retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id } } } } }\n      retriedBy { id attempt status }\n      children(first: 100) { edges { node { id stepId status progress attempt } } }\n    }\n  }\n"): (typeof documents)["\n  query ExecutionPage($id: ID!) {\n    execution(id: $id) {\n      id status trigger manual attempt scheduledAt startedAt finishedAt durationMs params result error\n      progress progressMessage currentItem processedItems totalItems cancelRequested triggeredBy stepId workerId runAfter\n      task { id name kind config }\n      parent { id task { name } }\n      retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id } } } } }\n      retriedBy { id attempt status }\n      children(first: 100) { edges { node { id stepId status progress attempt } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ExecutionFeed($id: ID!) {\n    executionUpdated(id: $id) {\n      id status progress progressMessage currentItem processedItems totalItems\n      startedAt finishedAt durationMs result error cancelRequested\n    }\n  }\n"): (typeof documents)["\n  subscription ExecutionFeed($id: ID!) {\n    executionUpdated(id: $id) {\n      id status progress progressMessage currentItem processedItems totalItems\n      startedAt finishedAt durationMs result error cancelRequested\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription LogFeed($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) { seq at stream text }\n  }\n"): (typeof documents)["\n  subscription LogFeed($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) { seq at stream text }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CancelExecution($id: ID!) { cancelExecution(id: $id) { id status cancelRequested } }"): (typeof documents)["mutation CancelExecution($id: ID!) { cancelExecution(id: $id) { id status cancelRequested } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation MarkExecutionFailed($id: ID!, $reason: String) { markExecutionFailed(id: $id, reason: $reason) { id status error } }"): (typeof documents)["mutation MarkExecutionFailed($id: ID!, $reason: String) { markExecutionFailed(id: $id, reason: $reason) { id status error } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SchedulerFeed {\n    schedulerUpdated {\n      running paused instances tasks enabledTasks pausedTasks scheduledTasks\n      runningExecutions pendingExecutions startedAt version\n    }\n  }\n"): (typeof documents)["\n  subscription SchedulerFeed {\n    schedulerUpdated {\n      running paused instances tasks enabledTasks pausedTasks scheduledTasks\n      runningExecutions pendingExecutions startedAt version\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Overview($since: DateTime!) {\n    stats(from: $since) { total succeeded failed timedOut cancelled skipped running pending successRate p95DurationMs }\n    executions(first: 8, filter: { status: [FAILED, TIMED_OUT], from: $since }) {\n      edges { node { id status error finishedAt attempt task { name } } }\n    }\n  }\n"): (typeof documents)["\n  query Overview($since: DateTime!) {\n    stats(from: $since) { total succeeded failed timedOut cancelled skipped running pending successRate p95DurationMs }\n    executions(first: 8, filter: { status: [FAILED, TIMED_OUT], from: $since }) {\n      edges { node { id status error finishedAt attempt task { name } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PauseScheduler { pauseScheduler { paused } }"): (typeof documents)["mutation PauseScheduler { pauseScheduler { paused } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResumeScheduler { resumeScheduler { paused } }"): (typeof documents)["mutation ResumeScheduler { resumeScheduler { paused } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TaskPage($name: String!, $from: DateTime!, $bucketSeconds: Int!) {\n    task(name: $name) {\n      id name displayName description kind config enabled paused\n      maxRetries retryDelaySeconds retryBackoff timeoutSeconds overlapPolicy misfirePolicy\n      nextRunAt upcomingFires(first: 5) createdAt updatedAt\n      schedule { cron intervalSeconds runAt timezone }\n      stats { total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus }\n      statsSeries(from: $from, bucketSeconds: $bucketSeconds) { start total failed timedOut avgDurationMs p95DurationMs maxDurationMs }\n    }\n  }\n"): (typeof documents)["\n  query TaskPage($name: String!, $from: DateTime!, $bucketSeconds: Int!) {\n    task(name: $name) {\n      id name displayName description kind config enabled paused\n      maxRetries retryDelaySeconds retryBackoff timeoutSeconds overlapPolicy misfirePolicy\n      nextRunAt upcomingFires(first: 5) createdAt updatedAt\n      schedule { cron intervalSeconds runAt timezone }\n      stats { total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus }\n      statsSeries(from: $from, bucketSeconds: $bucketSeconds) { start total failed timedOut avgDurationMs p95DurationMs maxDurationMs }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TaskHistory($name: String!, $after: String, $filter: ExecutionFilter) {\n    task(name: $name) {\n      id\n      executions(first: 15, after: $after, filter: $filter) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges { node { id status trigger manual attempt scheduledAt startedAt durationMs error triggeredBy } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TaskHistory($name: String!, $after: String, $filter: ExecutionFilter) {\n    task(name: $name) {\n      id\n      executions(first: 15, after: $after, filter: $filter) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges { node { id status trigger manual attempt scheduledAt startedAt durationMs error triggeredBy } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription TaskPageChanged($id: ID) { taskChanged(id: $id) { id } }"): (typeof documents)["subscription TaskPageChanged($id: ID) { taskChanged(id: $id) { id } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) { id status }\n  }\n"): (typeof documents)["\n  mutation TriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Tasks($filter: TaskFilter, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id name displayName kind enabled paused nextRunAt\n          schedule { cron intervalSeconds runAt timezone }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Tasks($filter: TaskFilter, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id name displayName kind enabled paused nextRunAt\n          schedule { cron intervalSeconds runAt timezone }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TaskStats($filter: TaskFilter, $since: DateTime!, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      edges { node { id stats(from: $since) { total successRate p95DurationMs lastStatus } } }\n    }\n  }\n"): (typeof documents)["\n  query TaskStats($filter: TaskFilter, $since: DateTime!, $after: String) {\n    tasks(first: 250, after: $after, filter: $filter) {\n      edges { node { id stats(from: $since) { total successRate p95DurationMs lastStatus } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription TaskChanges { taskChanged { id } }"): (typeof documents)["subscription TaskChanges { taskChanged { id } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation EnableTask($id: ID!) { enableTask(id: $id) { id enabled paused nextRunAt } }"): (typeof documents)["mutation EnableTask($id: ID!) { enableTask(id: $id) { id enabled paused nextRunAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DisableTask($id: ID!) { disableTask(id: $id) { id enabled paused nextRunAt } }"): (typeof documents)["mutation DisableTask($id: ID!) { disableTask(id: $id) { id enabled paused nextRunAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PauseTask($id: ID!) { pauseTask(id: $id) { id enabled paused nextRunAt } }"): (typeof documents)["mutation PauseTask($id: ID!) { pauseTask(id: $id) { id enabled paused nextRunAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResumeTask($id: ID!) { resumeTask(id: $id) { id enabled paused nextRunAt } }"): (typeof documents)["mutation ResumeTask($id: ID!) { resumeTask(id: $id) { id enabled paused nextRunAt } }"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;