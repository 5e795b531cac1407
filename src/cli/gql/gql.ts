/* eslint-disable */
import * as types from './graphql.js';



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
    "\n  fragment RunFields on Execution {\n    id\n    status\n    trigger\n    attempt\n    scheduledAt\n    startedAt\n    finishedAt\n    durationMs\n    params\n    result\n    error\n    progress\n    progressMessage\n    currentItem\n    processedItems\n    totalItems\n    triggeredBy\n    stepId\n    task {\n      id\n      name\n    }\n    rerunOf {\n      id\n    }\n    retryOf {\n      id\n    }\n  }\n": typeof types.RunFieldsFragmentDoc,
    "\n  fragment TaskFields on Task {\n    id\n    name\n    displayName\n    description\n    kind\n    enabled\n    paused\n    tags\n    nextRunAt\n    overlapPolicy\n    schedule {\n      cron\n      intervalSeconds\n      runAt\n      timezone\n    }\n    lastExecution {\n      id\n      status\n      scheduledAt\n      finishedAt\n    }\n  }\n": typeof types.TaskFieldsFragmentDoc,
    "\n  query CliTasks($first: Int!, $after: String, $filter: TaskFilter) {\n    tasks(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskFields\n        }\n      }\n    }\n  }\n": typeof types.CliTasksDocument,
    "\n  query CliTask($name: String!) {\n    task(name: $name) {\n      ...TaskFields\n      config\n      maxRetries\n      retryDelaySeconds\n      timeoutSeconds\n      misfirePolicy\n      stats {\n        total\n        succeeded\n        failed\n        successRate\n        p50DurationMs\n      }\n      executions(first: 5) {\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n      }\n    }\n  }\n": typeof types.CliTaskDocument,
    "\n  query CliExecution($id: ID!) {\n    execution(id: $id) {\n      ...RunFields\n    }\n  }\n": typeof types.CliExecutionDocument,
    "\n  query CliExecutions($first: Int!, $filter: ExecutionFilter) {\n    executions(first: $first, filter: $filter) {\n      totalCount\n      edges {\n        node {\n          ...RunFields\n        }\n      }\n    }\n  }\n": typeof types.CliExecutionsDocument,
    "\n  query CliExecutionLog($id: ID!, $afterSeq: Int, $limit: Int) {\n    executionLog(id: $id, afterSeq: $afterSeq, limit: $limit) {\n      seq\n      at\n      stream\n      text\n    }\n  }\n": typeof types.CliExecutionLogDocument,
    "\n  subscription CliExecutionUpdated($id: ID!) {\n    executionUpdated(id: $id) {\n      ...RunFields\n    }\n  }\n": typeof types.CliExecutionUpdatedDocument,
    "\n  subscription CliExecutionLogLines($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) {\n      seq\n      at\n      stream\n      text\n    }\n  }\n": typeof types.CliExecutionLogLinesDocument,
    "\n  mutation CliTriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) {\n      ...RunFields\n    }\n  }\n": typeof types.CliTriggerTaskDocument,
    "\n  mutation CliRerunExecution($id: ID!, $params: JSON, $fromFailure: Boolean) {\n    rerunExecution(id: $id, params: $params, fromFailure: $fromFailure) {\n      ...RunFields\n    }\n  }\n": typeof types.CliRerunExecutionDocument,
    "\n  mutation CliBackfillTask($id: ID!, $from: DateTime!, $until: DateTime!, $params: JSON) {\n    backfillTask(id: $id, from: $from, until: $until, params: $params) {\n      created\n      skipped\n      executions {\n        ...RunFields\n      }\n    }\n  }\n": typeof types.CliBackfillTaskDocument,
    "\n  mutation CliCancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      ...RunFields\n    }\n  }\n": typeof types.CliCancelExecutionDocument,
    "\n  mutation CliEnableTask($id: ID!) {\n    enableTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.CliEnableTaskDocument,
    "\n  mutation CliDisableTask($id: ID!) {\n    disableTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.CliDisableTaskDocument,
    "\n  mutation CliPauseTask($id: ID!) {\n    pauseTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.CliPauseTaskDocument,
    "\n  mutation CliResumeTask($id: ID!) {\n    resumeTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.CliResumeTaskDocument,
    "\n  query CliTaskId($name: String!) {\n    task(name: $name) {\n      id\n      name\n    }\n  }\n": typeof types.CliTaskIdDocument,
};
const documents: Documents = {
    "\n  fragment RunFields on Execution {\n    id\n    status\n    trigger\n    attempt\n    scheduledAt\n    startedAt\n    finishedAt\n    durationMs\n    params\n    result\n    error\n    progress\n    progressMessage\n    currentItem\n    processedItems\n    totalItems\n    triggeredBy\n    stepId\n    task {\n      id\n      name\n    }\n    rerunOf {\n      id\n    }\n    retryOf {\n      id\n    }\n  }\n": types.RunFieldsFragmentDoc,
    "\n  fragment TaskFields on Task {\n    id\n    name\n    displayName\n    description\n    kind\n    enabled\n    paused\n    tags\n    nextRunAt\n    overlapPolicy\n    schedule {\n      cron\n      intervalSeconds\n      runAt\n      timezone\n    }\n    lastExecution {\n      id\n      status\n      scheduledAt\n      finishedAt\n    }\n  }\n": types.TaskFieldsFragmentDoc,
    "\n  query CliTasks($first: Int!, $after: String, $filter: TaskFilter) {\n    tasks(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskFields\n        }\n      }\n    }\n  }\n": types.CliTasksDocument,
    "\n  query CliTask($name: String!) {\n    task(name: $name) {\n      ...TaskFields\n      config\n      maxRetries\n      retryDelaySeconds\n      timeoutSeconds\n      misfirePolicy\n      stats {\n        total\n        succeeded\n        failed\n        successRate\n        p50DurationMs\n      }\n      executions(first: 5) {\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n      }\n    }\n  }\n": types.CliTaskDocument,
    "\n  query CliExecution($id: ID!) {\n    execution(id: $id) {\n      ...RunFields\n    }\n  }\n": types.CliExecutionDocument,
    "\n  query CliExecutions($first: Int!, $filter: ExecutionFilter) {\n    executions(first: $first, filter: $filter) {\n      totalCount\n      edges {\n        node {\n          ...RunFields\n        }\n      }\n    }\n  }\n": types.CliExecutionsDocument,
    "\n  query CliExecutionLog($id: ID!, $afterSeq: Int, $limit: Int) {\n    executionLog(id: $id, afterSeq: $afterSeq, limit: $limit) {\n      seq\n      at\n      stream\n      text\n    }\n  }\n": types.CliExecutionLogDocument,
    "\n  subscription CliExecutionUpdated($id: ID!) {\n    executionUpdated(id: $id) {\n      ...RunFields\n    }\n  }\n": types.CliExecutionUpdatedDocument,
    "\n  subscription CliExecutionLogLines($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) {\n      seq\n      at\n      stream\n      text\n    }\n  }\n": types.CliExecutionLogLinesDocument,
    "\n  mutation CliTriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) {\n      ...RunFields\n    }\n  }\n": types.CliTriggerTaskDocument,
    "\n  mutation CliRerunExecution($id: ID!, $params: JSON, $fromFailure: Boolean) {\n    rerunExecution(id: $id, params: $params, fromFailure: $fromFailure) {\n      ...RunFields\n    }\n  }\n": types.CliRerunExecutionDocument,
    "\n  mutation CliBackfillTask($id: ID!, $from: DateTime!, $until: DateTime!, $params: JSON) {\n    backfillTask(id: $id, from: $from, until: $until, params: $params) {\n      created\n      skipped\n      executions {\n        ...RunFields\n      }\n    }\n  }\n": types.CliBackfillTaskDocument,
    "\n  mutation CliCancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      ...RunFields\n    }\n  }\n": types.CliCancelExecutionDocument,
    "\n  mutation CliEnableTask($id: ID!) {\n    enableTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.CliEnableTaskDocument,
    "\n  mutation CliDisableTask($id: ID!) {\n    disableTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.CliDisableTaskDocument,
    "\n  mutation CliPauseTask($id: ID!) {\n    pauseTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.CliPauseTaskDocument,
    "\n  mutation CliResumeTask($id: ID!) {\n    resumeTask(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.CliResumeTaskDocument,
    "\n  query CliTaskId($name: String!) {\n    task(name: $name) {\n      id\n      name\n    }\n  }\n": types.CliTaskIdDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RunFields on Execution {\n    id\n    status\n    trigger\n    attempt\n    scheduledAt\n    startedAt\n    finishedAt\n    durationMs\n    params\n    result\n    error\n    progress\n    progressMessage\n    currentItem\n    processedItems\n    totalItems\n    triggeredBy\n    stepId\n    task {\n      id\n      name\n    }\n    rerunOf {\n      id\n    }\n    retryOf {\n      id\n    }\n  }\n"): typeof import('./graphql.js').RunFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TaskFields on Task {\n    id\n    name\n    displayName\n    description\n    kind\n    enabled\n    paused\n    tags\n    nextRunAt\n    overlapPolicy\n    schedule {\n      cron\n      intervalSeconds\n      runAt\n      timezone\n    }\n    lastExecution {\n      id\n      status\n      scheduledAt\n      finishedAt\n    }\n  }\n"): typeof import('./graphql.js').TaskFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliTasks($first: Int!, $after: String, $filter: TaskFilter) {\n    tasks(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          ...TaskFields\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.js').CliTasksDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliTask($name: String!) {\n    task(name: $name) {\n      ...TaskFields\n      config\n      maxRetries\n      retryDelaySeconds\n      timeoutSeconds\n      misfirePolicy\n      stats {\n        total\n        succeeded\n        failed\n        successRate\n        p50DurationMs\n      }\n      executions(first: 5) {\n        edges {\n          node {\n            ...RunFields\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.js').CliTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliExecution($id: ID!) {\n    execution(id: $id) {\n      ...RunFields\n    }\n  }\n"): typeof import('./graphql.js').CliExecutionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliExecutions($first: Int!, $filter: ExecutionFilter) {\n    executions(first: $first, filter: $filter) {\n      totalCount\n      edges {\n        node {\n          ...RunFields\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.js').CliExecutionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliExecutionLog($id: ID!, $afterSeq: Int, $limit: Int) {\n    executionLog(id: $id, afterSeq: $afterSeq, limit: $limit) {\n      seq\n      at\n      stream\n      text\n    }\n  }\n"): typeof import('./graphql.js').CliExecutionLogDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CliExecutionUpdated($id: ID!) {\n    executionUpdated(id: $id) {\n      ...RunFields\n    }\n  }\n"): typeof import('./graphql.js').CliExecutionUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CliExecutionLogLines($id: ID!, $afterSeq: Int) {\n    executionLogLines(id: $id, afterSeq: $afterSeq) {\n      seq\n      at\n      stream\n      text\n    }\n  }\n"): typeof import('./graphql.js').CliExecutionLogLinesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliTriggerTask($id: ID!, $params: JSON, $force: Boolean) {\n    triggerTask(id: $id, params: $params, force: $force) {\n      ...RunFields\n    }\n  }\n"): typeof import('./graphql.js').CliTriggerTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliRerunExecution($id: ID!, $params: JSON, $fromFailure: Boolean) {\n    rerunExecution(id: $id, params: $params, fromFailure: $fromFailure) {\n      ...RunFields\n    }\n  }\n"): typeof import('./graphql.js').CliRerunExecutionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliBackfillTask($id: ID!, $from: DateTime!, $until: DateTime!, $params: JSON) {\n    backfillTask(id: $id, from: $from, until: $until, params: $params) {\n      created\n      skipped\n      executions {\n        ...RunFields\n      }\n    }\n  }\n"): typeof import('./graphql.js').CliBackfillTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      ...RunFields\n    }\n  }\n"): typeof import('./graphql.js').CliCancelExecutionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliEnableTask($id: ID!) {\n    enableTask(id: $id) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql.js').CliEnableTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliDisableTask($id: ID!) {\n    disableTask(id: $id) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql.js').CliDisableTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliPauseTask($id: ID!) {\n    pauseTask(id: $id) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql.js').CliPauseTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliResumeTask($id: ID!) {\n    resumeTask(id: $id) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql.js').CliResumeTaskDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliTaskId($name: String!) {\n    task(name: $name) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql.js').CliTaskIdDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
