/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ExecutionFilter = {
  /** scheduledAt >= from */
  from?: string | null | undefined;
  manual?: boolean | null | undefined;
  parentId?: string | number | null | undefined;
  status?: Array<ExecutionStatus> | null | undefined;
  /** the execution's task carries every one of these tags */
  tags?: Array<string> | null | undefined;
  taskId?: string | number | null | undefined;
  trigger?: Array<TriggerKind> | null | undefined;
  /** scheduledAt < until */
  until?: string | null | undefined;
};

export type ExecutionStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'PENDING'
  | 'RUNNING'
  | 'SKIPPED'
  | 'SUCCEEDED'
  | 'TIMED_OUT';

/** Fires missed while no instance was up: SKIP none, RUN_ONCE one catch-up run, RUN_ALL every missed fire (within the catch-up window) */
export type MisfirePolicy =
  | 'RUN_ALL'
  | 'RUN_ONCE'
  | 'SKIP';

/** A fire while the previous run is active: SKIP records a SKIPPED execution, QUEUE waits, ALLOW runs side by side */
export type OverlapPolicy =
  | 'ALLOW'
  | 'QUEUE'
  | 'SKIP';

export type TaskFilter = {
  enabled?: boolean | null | undefined;
  kind?: TaskKind | null | undefined;
  paused?: boolean | null | undefined;
  /** matches name, display name or description (case-insensitive) */
  search?: string | null | undefined;
  /** the task carries every one of these tags */
  tags?: Array<string> | null | undefined;
};

export type TaskKind =
  | 'COMMAND'
  | 'HANDLER'
  | 'HTTP'
  | 'WORKFLOW';

/** What created an execution: a schedule fire, a person, the retry policy, a workflow step, a misfire catch-up, a rerun of an earlier run (rerunOf), or a backfill of a past fire */
export type TriggerKind =
  | 'BACKFILL'
  | 'CATCH_UP'
  | 'MANUAL'
  | 'RERUN'
  | 'RETRY'
  | 'SCHEDULE'
  | 'WORKFLOW';

export type RunFieldsFragment = { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null };

export type TaskFieldsFragment = { id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null };

export type CliTasksQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  filter?: TaskFilter | null | undefined;
}>;


export type CliTasksQuery = { tasks: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null } }> } };

export type CliTaskQueryVariables = Exact<{
  name: string;
}>;


export type CliTaskQuery = { task: { config: unknown, maxRetries: number, retryDelaySeconds: number, timeoutSeconds: number | null, misfirePolicy: MisfirePolicy, id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, stats: { total: number, succeeded: number, failed: number, successRate: number | null, p50DurationMs: number | null }, executions: { edges: Array<{ node: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } }> }, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null } | null };

export type CliExecutionQueryVariables = Exact<{
  id: string | number;
}>;


export type CliExecutionQuery = { execution: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } | null };

export type CliExecutionsQueryVariables = Exact<{
  first: number;
  filter?: ExecutionFilter | null | undefined;
}>;


export type CliExecutionsQuery = { executions: { totalCount: number, edges: Array<{ node: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } }> } };

export type CliExecutionLogQueryVariables = Exact<{
  id: string | number;
  afterSeq?: number | null | undefined;
  limit?: number | null | undefined;
}>;


export type CliExecutionLogQuery = { executionLog: Array<{ seq: number, at: string, stream: string, text: string }> };

export type CliExecutionUpdatedSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type CliExecutionUpdatedSubscription = { executionUpdated: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } };

export type CliExecutionLogLinesSubscriptionVariables = Exact<{
  id: string | number;
  afterSeq?: number | null | undefined;
}>;


export type CliExecutionLogLinesSubscription = { executionLogLines: { seq: number, at: string, stream: string, text: string } };

export type CliTriggerTaskMutationVariables = Exact<{
  id: string | number;
  params?: unknown;
  force?: boolean | null | undefined;
}>;


export type CliTriggerTaskMutation = { triggerTask: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } };

export type CliRerunExecutionMutationVariables = Exact<{
  id: string | number;
  params?: unknown;
  fromFailure?: boolean | null | undefined;
}>;


export type CliRerunExecutionMutation = { rerunExecution: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } };

export type CliBackfillTaskMutationVariables = Exact<{
  id: string | number;
  from: string;
  until: string;
  params?: unknown;
}>;


export type CliBackfillTaskMutation = { backfillTask: { created: number, skipped: number, executions: Array<{ id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null }> } };

export type CliCancelExecutionMutationVariables = Exact<{
  id: string | number;
}>;


export type CliCancelExecutionMutation = { cancelExecution: { id: string, status: ExecutionStatus, trigger: TriggerKind, attempt: number, scheduledAt: string, startedAt: string | null, finishedAt: string | null, durationMs: number | null, params: unknown, result: unknown, error: string | null, progress: number | null, progressMessage: string | null, currentItem: string | null, processedItems: number | null, totalItems: number | null, triggeredBy: string | null, stepId: string | null, task: { id: string, name: string }, rerunOf: { id: string } | null, retryOf: { id: string } | null } };

export type CliEnableTaskMutationVariables = Exact<{
  id: string | number;
}>;


export type CliEnableTaskMutation = { enableTask: { id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null } };

export type CliDisableTaskMutationVariables = Exact<{
  id: string | number;
}>;


export type CliDisableTaskMutation = { disableTask: { id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null } };

export type CliPauseTaskMutationVariables = Exact<{
  id: string | number;
}>;


export type CliPauseTaskMutation = { pauseTask: { id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null } };

export type CliResumeTaskMutationVariables = Exact<{
  id: string | number;
}>;


export type CliResumeTaskMutation = { resumeTask: { id: string, name: string, displayName: string | null, description: string | null, kind: TaskKind, enabled: boolean, paused: boolean, tags: Array<string>, nextRunAt: string | null, overlapPolicy: OverlapPolicy, schedule: { cron: string | null, intervalSeconds: number | null, runAt: string | null, timezone: string } | null, lastExecution: { id: string, status: ExecutionStatus, scheduledAt: string, finishedAt: string | null } | null } };

export type CliTaskIdQueryVariables = Exact<{
  name: string;
}>;


export type CliTaskIdQuery = { task: { id: string, name: string } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const RunFieldsFragmentDoc = new TypedDocumentString(`
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}
    `, {"fragmentName":"RunFields"}) as unknown as TypedDocumentString<RunFieldsFragment, unknown>;
export const TaskFieldsFragmentDoc = new TypedDocumentString(`
    fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}
    `, {"fragmentName":"TaskFields"}) as unknown as TypedDocumentString<TaskFieldsFragment, unknown>;
export const CliTasksDocument = new TypedDocumentString(`
    query CliTasks($first: Int!, $after: String, $filter: TaskFilter) {
  tasks(first: $first, after: $after, filter: $filter) {
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...TaskFields
      }
    }
  }
}
    fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}`) as unknown as TypedDocumentString<CliTasksQuery, CliTasksQueryVariables>;
export const CliTaskDocument = new TypedDocumentString(`
    query CliTask($name: String!) {
  task(name: $name) {
    ...TaskFields
    config
    maxRetries
    retryDelaySeconds
    timeoutSeconds
    misfirePolicy
    stats {
      total
      succeeded
      failed
      successRate
      p50DurationMs
    }
    executions(first: 5) {
      edges {
        node {
          ...RunFields
        }
      }
    }
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}
fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}`) as unknown as TypedDocumentString<CliTaskQuery, CliTaskQueryVariables>;
export const CliExecutionDocument = new TypedDocumentString(`
    query CliExecution($id: ID!) {
  execution(id: $id) {
    ...RunFields
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliExecutionQuery, CliExecutionQueryVariables>;
export const CliExecutionsDocument = new TypedDocumentString(`
    query CliExecutions($first: Int!, $filter: ExecutionFilter) {
  executions(first: $first, filter: $filter) {
    totalCount
    edges {
      node {
        ...RunFields
      }
    }
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliExecutionsQuery, CliExecutionsQueryVariables>;
export const CliExecutionLogDocument = new TypedDocumentString(`
    query CliExecutionLog($id: ID!, $afterSeq: Int, $limit: Int) {
  executionLog(id: $id, afterSeq: $afterSeq, limit: $limit) {
    seq
    at
    stream
    text
  }
}
    `) as unknown as TypedDocumentString<CliExecutionLogQuery, CliExecutionLogQueryVariables>;
export const CliExecutionUpdatedDocument = new TypedDocumentString(`
    subscription CliExecutionUpdated($id: ID!) {
  executionUpdated(id: $id) {
    ...RunFields
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliExecutionUpdatedSubscription, CliExecutionUpdatedSubscriptionVariables>;
export const CliExecutionLogLinesDocument = new TypedDocumentString(`
    subscription CliExecutionLogLines($id: ID!, $afterSeq: Int) {
  executionLogLines(id: $id, afterSeq: $afterSeq) {
    seq
    at
    stream
    text
  }
}
    `) as unknown as TypedDocumentString<CliExecutionLogLinesSubscription, CliExecutionLogLinesSubscriptionVariables>;
export const CliTriggerTaskDocument = new TypedDocumentString(`
    mutation CliTriggerTask($id: ID!, $params: JSON, $force: Boolean) {
  triggerTask(id: $id, params: $params, force: $force) {
    ...RunFields
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliTriggerTaskMutation, CliTriggerTaskMutationVariables>;
export const CliRerunExecutionDocument = new TypedDocumentString(`
    mutation CliRerunExecution($id: ID!, $params: JSON, $fromFailure: Boolean) {
  rerunExecution(id: $id, params: $params, fromFailure: $fromFailure) {
    ...RunFields
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliRerunExecutionMutation, CliRerunExecutionMutationVariables>;
export const CliBackfillTaskDocument = new TypedDocumentString(`
    mutation CliBackfillTask($id: ID!, $from: DateTime!, $until: DateTime!, $params: JSON) {
  backfillTask(id: $id, from: $from, until: $until, params: $params) {
    created
    skipped
    executions {
      ...RunFields
    }
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliBackfillTaskMutation, CliBackfillTaskMutationVariables>;
export const CliCancelExecutionDocument = new TypedDocumentString(`
    mutation CliCancelExecution($id: ID!) {
  cancelExecution(id: $id) {
    ...RunFields
  }
}
    fragment RunFields on Execution {
  id
  status
  trigger
  attempt
  scheduledAt
  startedAt
  finishedAt
  durationMs
  params
  result
  error
  progress
  progressMessage
  currentItem
  processedItems
  totalItems
  triggeredBy
  stepId
  task {
    id
    name
  }
  rerunOf {
    id
  }
  retryOf {
    id
  }
}`) as unknown as TypedDocumentString<CliCancelExecutionMutation, CliCancelExecutionMutationVariables>;
export const CliEnableTaskDocument = new TypedDocumentString(`
    mutation CliEnableTask($id: ID!) {
  enableTask(id: $id) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}`) as unknown as TypedDocumentString<CliEnableTaskMutation, CliEnableTaskMutationVariables>;
export const CliDisableTaskDocument = new TypedDocumentString(`
    mutation CliDisableTask($id: ID!) {
  disableTask(id: $id) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}`) as unknown as TypedDocumentString<CliDisableTaskMutation, CliDisableTaskMutationVariables>;
export const CliPauseTaskDocument = new TypedDocumentString(`
    mutation CliPauseTask($id: ID!) {
  pauseTask(id: $id) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}`) as unknown as TypedDocumentString<CliPauseTaskMutation, CliPauseTaskMutationVariables>;
export const CliResumeTaskDocument = new TypedDocumentString(`
    mutation CliResumeTask($id: ID!) {
  resumeTask(id: $id) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  name
  displayName
  description
  kind
  enabled
  paused
  tags
  nextRunAt
  overlapPolicy
  schedule {
    cron
    intervalSeconds
    runAt
    timezone
  }
  lastExecution {
    id
    status
    scheduledAt
    finishedAt
  }
}`) as unknown as TypedDocumentString<CliResumeTaskMutation, CliResumeTaskMutationVariables>;
export const CliTaskIdDocument = new TypedDocumentString(`
    query CliTaskId($name: String!) {
  task(name: $name) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CliTaskIdQuery, CliTaskIdQueryVariables>;