import type { Worker } from "node:worker_threads";
import { startWorker } from "../util/index.js";
import { ValidationBudgetError, ValidationBusyError, ValidationUnavailableError } from "./errors.js";
import { isWorkerReply, type JobInput, type WorkerJob, type WorkerReply, type WorkerSettings } from "./protocol.js";

export interface PoolOptions {
  /** Worker threads at most; started on first use, so a gateway that never checks an answer has none. */
  size: number;
  /** Jobs waiting for a worker at most; one more is refused (ValidationBusyError). */
  queueLimit: number;
  /** How long one job may run (VALIDATION_BUDGET_MS); past it the worker is terminated. */
  budgetMs: number;
  /** Each worker's heap (old generation); past it the worker dies and its job fails. */
  heapMb: number;
  /** A worker idle this long ends, giving back its memory (a big check leaves a big heap). */
  idleMs: number;
  settings: WorkerSettings;
  /** The worker's script (tests point it elsewhere); default: worker.ts beside this file, or worker.js when compiled. */
  script?: URL;
}

/** A job's answer, without the envelope. */
export type JobReply = Exclude<WorkerReply, { type: "ready" }>;

interface Pending {
  job: WorkerJob;
  resolve: (r: JobReply) => void;
  reject: (e: Error) => void;
  /** Detach from the request's signal. */
  detach: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Pending | undefined;
  /** The running job's deadline, or the idle worker's end. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * A small pool of validation workers with a deadline per job and a bounded queue. A job that
 * outlives its budget, or runs its worker out of heap, fails alone: that worker is terminated
 * (which stops even a loop that never yields) and a fresh one is started for the next job.
 */
export function createWorkerPool(o: PoolOptions) {
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;
  const script = o.script ?? defaultScript();

  function spawn(): void {
    const options = { workerData: o.settings, resourceLimits: { maxOldGenerationSizeMb: o.heapMb }, execArgv: [], stdout: false, stderr: false };
    const worker = startWorker(script, options);
    // An idle worker must not keep a finished process alive.
    worker.unref();
    const slot: Slot = { worker, ready: false, job: undefined, timer: undefined };
    slots.push(slot);
    worker.on("message", (m: unknown) => {
      if (!isWorkerReply(m)) return;
      if (m.type === "ready") slot.ready = true;
      else finishJob(slot)?.resolve(m);
      pump();
      if (!slot.job && slots.includes(slot)) idle(slot);
    });
    worker.on("error", (e: Error & { code?: string }) => {
      if (e.code === "ERR_WORKER_OUT_OF_MEMORY") retire(slot, new ValidationBudgetError("memory", `needed more than ${o.heapMb} MB`));
      else if (!slot.ready) failStart(slot, e);
      else retire(slot, new ValidationBudgetError("memory", `stopped the check (${e.message})`));
    });
    worker.on("exit", () => {
      if (slots.includes(slot)) retire(slot, new ValidationUnavailableError("the validation worker exited"));
    });
  }

  /** The worker could not start: nothing queued can run now (the next job tries again). */
  function failStart(slot: Slot | undefined, e: Error): void {
    if (slot) retire(slot, undefined);
    const why = new ValidationUnavailableError(`the validation worker could not start: ${e.message}`);
    for (const p of queue.splice(0)) {
      p.detach();
      p.reject(why);
    }
  }

  function idle(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => retire(slot, undefined), o.idleMs);
    slot.timer.unref();
  }

  function finishJob(slot: Slot): Pending | undefined {
    clearTimeout(slot.timer);
    const p = slot.job;
    slot.job = undefined;
    slot.timer = undefined;
    p?.detach();
    return p;
  }

  /** Take a slot out of service (its worker terminated); its job, if any, fails with `why`. */
  function retire(slot: Slot, why: Error | undefined): void {
    const at = slots.indexOf(slot);
    if (at === -1) return;
    slots.splice(at, 1);
    const p = finishJob(slot);
    if (p && why) p.reject(why);
    void slot.worker.terminate().catch(() => undefined);
    pump();
  }

  function pump(): void {
    while (queue.length > 0 && !closed) {
      const idle = slots.find((s) => s.ready && !s.job);
      if (!idle) {
        if (slots.length < o.size && slots.every((s) => s.ready)) {
          try {
            spawn();
          } catch (e) {
            failStart(undefined, e instanceof Error ? e : new Error(String(e)));
          }
        }
        return;
      }
      const p = queue.shift() as Pending;
      clearTimeout(idle.timer);
      idle.job = p;
      // The budget starts when the worker has the job: waiting in the queue is not the job's cost.
      idle.timer = setTimeout(() => retire(idle, new ValidationBudgetError("time", `took longer than ${o.budgetMs} ms`)), o.budgetMs);
      idle.worker.postMessage(p.job);
    }
  }

  return {
    /** Run one job; rejects with ValidationBudgetError, ValidationBusyError, ValidationUnavailableError or the signal's reason. */
    run(input: JobInput, signal?: AbortSignal): Promise<JobReply> {
      if (closed) return Promise.reject(new ValidationUnavailableError("the validator is closed"));
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      if (queue.length >= o.queueLimit) return Promise.reject(new ValidationBusyError(`${queue.length} checks are already waiting for a validation worker`));
      return new Promise<JobReply>((resolve, reject) => {
        const p: Pending = { job: { ...input, id: nextId++ }, resolve, reject, detach: () => undefined };
        if (signal) {
          // A request that ends stops waiting; a job already running finishes within its budget.
          const onAbort = () => {
            const at = queue.indexOf(p);
            if (at !== -1) queue.splice(at, 1);
            reject(signal.reason as Error);
          };
          signal.addEventListener("abort", onAbort, { once: true });
          p.detach = () => signal.removeEventListener("abort", onAbort);
        }
        queue.push(p);
        pump();
      });
    },
    /** Workers running now (started, not retired). */
    get workers() {
      return slots.length;
    },
    async close(): Promise<void> {
      closed = true;
      for (const p of queue.splice(0)) {
        p.detach();
        p.reject(new ValidationUnavailableError("the validator is closed"));
      }
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate().catch(() => undefined)));
    },
  };
}

export type WorkerPool = ReturnType<typeof createWorkerPool>;

/** worker.js when this file is compiled JavaScript, worker.ts when it runs from the TypeScript source. */
function defaultScript(): URL {
  return new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
}
