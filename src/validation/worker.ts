// A validation worker (node:worker_threads): compiles schemas and checks answers, one job at a time,
// away from the event loop. The pool that started it enforces the time and memory budget by
// terminating it; here, running out of stack is reported, so the pool can say so.
import { parentPort, workerData } from "node:worker_threads";
import { createSchemaChecker } from "./checker.js";
import type { WorkerJob, WorkerReply, WorkerSettings } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("the validation worker runs only as a worker thread");
const settings = workerData as WorkerSettings;
const checker = createSchemaChecker({ cacheSize: settings.cacheSize });

function run(job: WorkerJob): WorkerReply {
  try {
    if (job.op === "compile") return { type: "compiled", id: job.id, error: checker.compile(job.schema) };
    return { type: "checked", id: job.id, result: checker.check(job.kind, job.schema, job.text) };
  } catch (e) {
    if (e instanceof RangeError) return { type: "overflow", id: job.id };
    throw e;
  }
}

// Ajv compiles its meta-schema on first use: done now, so it is not charged to a client's budget.
checker.compile('{"type":"object","properties":{"a":{"type":"array","items":{"enum":["x"]}}},"required":["a"]}');
port.on("message", (job: WorkerJob) => port.postMessage(run(job)));
port.postMessage({ type: "ready" } satisfies WorkerReply);
