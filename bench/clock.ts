/**
 * One time base for every process of the bench. `performance.now()` alone is relative to each
 * process's start; adding `timeOrigin` turns it into sub-millisecond epoch time that the client,
 * the gateway and the mock can compare (the residual offset is measured, see `measureOffset`).
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
