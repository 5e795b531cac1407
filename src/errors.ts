// Domain errors with stable codes. The GraphQL layer turns them into GraphQL errors whose
// `extensions.code` clients can switch on (API.md); anything else is masked as INTERNAL.

export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "VALIDATION" | "CONFLICT";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** the one input field at fault, as a dotted path (e.g. "input.schedule.cron") */
    readonly field?: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const validation = (field: string | undefined, message: string) => new AppError("VALIDATION", message, field);
export const conflict = (message: string) => new AppError("CONFLICT", message);
export const unauthenticated = (message = "authentication required") => new AppError("UNAUTHENTICATED", message);
