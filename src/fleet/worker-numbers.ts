import type { Worker } from "node:cluster";
import { createSampleWindow, fromWire, toWire, type FleetNumbers, type FleetSeries, type FleetWindow, type WireSample } from "../observability/index.js";

const SAMPLE = "sgw:sample";
const NUMBERS_REQUEST = "sgw:numbers-request";
const NUMBERS_REPLY = "sgw:numbers-reply";

type SampleMessage = { type: typeof SAMPLE; sample: WireSample };
type NumbersRequest =
  { type: typeof NUMBERS_REQUEST; id: number; what: "stats" } | { type: typeof NUMBERS_REQUEST; id: number; what: "series"; minutes: number };
type NumbersReply = { type: typeof NUMBERS_REPLY; id: number; body: FleetWindow | FleetSeries };

/** How long a worker waits for the primary's figures before showing its own. */
const REPLY_MS = 1000;

/** To the primary; false when there is no channel (not a worker, or the primary is gone). */
function send(message: SampleMessage | NumbersRequest): boolean {
  if (!process.send || !process.connected) return false;
  try {
    // false from send() only means "queued": the message still goes.
    process.send(message);
    return true;
  } catch {
    return false;
  }
}

const typed = (m: unknown, type: string): boolean => typeof m === "object" && m !== null && (m as { type?: unknown }).type === type;

/**
 * In the cluster primary (WORKERS > 1 without Redis): keep every worker's finished requests in
 * one window and answer workers' requests for the figures. Returns the message handler to attach
 * to each worker.
 */
export function createPrimaryNumbers(o: {
  now: () => number;
  random: () => number;
  windowSize: number;
  bucketSeconds: number;
  keepMinutes: number;
}): (w: Worker, m: unknown) => void {
  const window = createSampleWindow(o);
  return (w, m) => {
    if (typed(m, SAMPLE)) {
      const s = fromWire((m as SampleMessage).sample);
      if (s) window.add(s.sample, s.replica);
      return;
    }
    if (!typed(m, NUMBERS_REQUEST)) return;
    const req = m as NumbersRequest;
    const body = req.what === "stats" ? window.stats() : window.series(req.minutes);
    w.send({ type: NUMBERS_REPLY, id: req.id, body } satisfies NumbersReply);
  };
}

/**
 * In a worker: share each finished request with the primary, and ask it for the figures of all
 * workers. A primary that does not answer within a second (it is busy, or this is not a cluster)
 * gives undefined: the worker shows its own figures and says so.
 */
export function workerNumbers(replicaId: string): FleetNumbers {
  let seq = 0;
  const pending = new Map<number, (body: NumbersReply["body"] | undefined) => void>();
  process.on("message", (m: unknown) => {
    if (!typed(m, NUMBERS_REPLY)) return;
    const reply = m as NumbersReply;
    pending.get(reply.id)?.(reply.body);
  });
  const ask = (req: Omit<Extract<NumbersRequest, { what: "stats" }>, "id"> | Omit<Extract<NumbersRequest, { what: "series" }>, "id">) =>
    new Promise<NumbersReply["body"] | undefined>((resolve) => {
      const id = ++seq;
      const done = (body: NumbersReply["body"] | undefined): void => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(body);
      };
      const timer = setTimeout(() => done(undefined), REPLY_MS);
      pending.set(id, done);
      if (!send({ ...req, id })) done(undefined);
    });
  return {
    add(sample) {
      send({ type: SAMPLE, sample: toWire(sample, replicaId) } satisfies SampleMessage);
    },
    stats: async () => (await ask({ type: NUMBERS_REQUEST, what: "stats" })) as FleetWindow | undefined,
    series: async (minutes) => (await ask({ type: NUMBERS_REQUEST, what: "series", minutes })) as FleetSeries | undefined,
  };
}
