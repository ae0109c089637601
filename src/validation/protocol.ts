import type { CheckKind, CheckResult } from "./checker.js";

/** What a validation worker is asked to do. */
export type JobInput = { op: "compile"; schema: string } | { op: "check"; kind: CheckKind; schema: string | undefined; text: string };

/** A job as sent: `id` pairs the reply with it. */
export type WorkerJob = JobInput & { id: number };

/** What a worker answers: first `ready` once, then one reply per job, in order. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "compiled"; id: number; error: string | undefined }
  | { type: "checked"; id: number; result: CheckResult }
  /** The job recursed past the worker's stack. */
  | { type: "overflow"; id: number };

/** Settings a worker starts with (its `workerData`). */
export interface WorkerSettings {
  cacheSize: number;
}

export function isWorkerReply(v: unknown): v is WorkerReply {
  if (typeof v !== "object" || v === null || !("type" in v)) return false;
  return v.type === "ready" || ((v.type === "compiled" || v.type === "checked" || v.type === "overflow") && "id" in v && typeof v.id === "number");
}
