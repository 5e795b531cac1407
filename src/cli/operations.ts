// Every GraphQL operation the command line sends. graphql-codegen (codegen.ts) reads this file
// and types each one from schema.graphql into ./gql/, so a renamed field fails `npm run typecheck`.
import { graphql } from "./gql/index.js";

export const RunFields = graphql(`
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
`);

export const TaskFields = graphql(`
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
`);

export const TasksQuery = graphql(`
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
`);

export const TaskQuery = graphql(`
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
`);

export const ExecutionQuery = graphql(`
  query CliExecution($id: ID!) {
    execution(id: $id) {
      ...RunFields
    }
  }
`);

export const ExecutionsQuery = graphql(`
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
`);

export const ExecutionLogQuery = graphql(`
  query CliExecutionLog($id: ID!, $afterSeq: Int, $limit: Int) {
    executionLog(id: $id, afterSeq: $afterSeq, limit: $limit) {
      seq
      at
      stream
      text
    }
  }
`);

export const ExecutionUpdated = graphql(`
  subscription CliExecutionUpdated($id: ID!) {
    executionUpdated(id: $id) {
      ...RunFields
    }
  }
`);

export const ExecutionLogLines = graphql(`
  subscription CliExecutionLogLines($id: ID!, $afterSeq: Int) {
    executionLogLines(id: $id, afterSeq: $afterSeq) {
      seq
      at
      stream
      text
    }
  }
`);

export const TriggerTask = graphql(`
  mutation CliTriggerTask($id: ID!, $params: JSON, $force: Boolean) {
    triggerTask(id: $id, params: $params, force: $force) {
      ...RunFields
    }
  }
`);

export const RerunExecution = graphql(`
  mutation CliRerunExecution($id: ID!, $params: JSON, $fromFailure: Boolean) {
    rerunExecution(id: $id, params: $params, fromFailure: $fromFailure) {
      ...RunFields
    }
  }
`);

export const BackfillTask = graphql(`
  mutation CliBackfillTask($id: ID!, $from: DateTime!, $until: DateTime!, $params: JSON) {
    backfillTask(id: $id, from: $from, until: $until, params: $params) {
      created
      skipped
      executions {
        ...RunFields
      }
    }
  }
`);

export const CancelExecution = graphql(`
  mutation CliCancelExecution($id: ID!) {
    cancelExecution(id: $id) {
      ...RunFields
    }
  }
`);

// one document per switch: the API has one mutation each
export const EnableTask = graphql(`
  mutation CliEnableTask($id: ID!) {
    enableTask(id: $id) {
      ...TaskFields
    }
  }
`);
export const DisableTask = graphql(`
  mutation CliDisableTask($id: ID!) {
    disableTask(id: $id) {
      ...TaskFields
    }
  }
`);
export const PauseTask = graphql(`
  mutation CliPauseTask($id: ID!) {
    pauseTask(id: $id) {
      ...TaskFields
    }
  }
`);
export const ResumeTask = graphql(`
  mutation CliResumeTask($id: ID!) {
    resumeTask(id: $id) {
      ...TaskFields
    }
  }
`);

export const TaskIdQuery = graphql(`
  query CliTaskId($name: String!) {
    task(name: $name) {
      id
      name
    }
  }
`);
