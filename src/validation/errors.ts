/**
 * Checking an answer took more than its budget: too long (VALIDATION_BUDGET_MS), too much memory,
 * or recursion past the stack. The schema and the answer together are too costly to check: the
 * request ends with `validation_budget_exceeded`. Never the provider's failure.
 */
export class ValidationBudgetError extends Error {
  override readonly name = "ValidationBudgetError";
  constructor(
    readonly exceeded: "time" | "memory" | "stack",
    message: string,
  ) {
    super(message);
  }
}

/** Every validation worker is busy and the queue before them is full: try again shortly. */
export class ValidationBusyError extends Error {
  override readonly name = "ValidationBusyError";
}

/** No validation worker could be started (or the validator was closed): the gateway's fault. */
export class ValidationUnavailableError extends Error {
  override readonly name = "ValidationUnavailableError";
}
