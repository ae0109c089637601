import type { SseEvent } from "../events/index.js";
import type { EventLog, StreamControl } from "../fleet/index.js";

/**
 * Resumable streams (RESUME_GRACE_SECONDS > 0): every event of a stream carries an SSE `id:` and
 * is kept in the event log, so a client that lost its connection can reconnect — to any replica —
 * with `Last-Event-ID` and get every later event exactly once. When the client leaves, the
 * request keeps running for the grace period, and for as long as a reader is attached; then, if
 * nobody came back, it is cancelled as a disconnect always was. An explicit cancel ends it at once.
 * Either way the log ends with the stream's own failure message, so a late reader is told.
 */
export interface ResumeSettings {
  graceMs: number;
  log: EventLog;
  control: StreamControl;
  /** This replica's id: kept with each log, so a reader elsewhere can tell when it is gone. */
  instance: string;
}

/** Why a resumable request was cancelled, when it was. */
export type ResumeCancel = "cancelled" | "abandoned";

export interface Resumable {
  /** Keep one message; its SSE id, to write with it. */
  add(m: SseEvent): number;
  /** The client's connection is gone: start the grace period (or cancel now, if it can no longer be resumed). */
  clientLeft(): void;
  /** Why it was cancelled, if it was. */
  readonly cancelled: ResumeCancel | undefined;
  /** The run is over and its last message is kept: followers end after it. */
  end(): void;
}

/** Who may resume or cancel a request: the key that started it ("" on an open gateway). */
export function ownerOf(keyName: string | undefined): string {
  return keyName ?? "";
}

/**
 * Keep a request's messages. `cancel` ends the run; it is called at most once. The request id is
 * the gateway's own, fresh for this request: the log cannot already exist, and if it somehow did,
 * it is not taken over — this stream then simply is not resumable.
 */
export function resumable(s: ResumeSettings, requestId: string, owner: string, cancel: (why: ResumeCancel) => void): Resumable {
  let nextId = 1;
  let grace: NodeJS.Timeout | undefined;
  let ended = false;
  /** False once the log refused a message (over its budget) or would not open: nothing to come back to. */
  let keeping = true;
  let cancelled: ResumeCancel | undefined;
  const stop = (why: ResumeCancel): void => {
    if (cancelled || ended) return;
    cancelled = why;
    cancel(why);
  };
  void s.log.open(requestId, { owner, instance: s.instance }).then((opened) => {
    if (!opened) keeping = false;
  });
  const unsubscribe = s.control.onCancel(requestId, () => stop("cancelled"));

  /** At the end of a grace period: go on while a reader is attached somewhere, else cancel. */
  const check = (): void => {
    void s.control.attached(requestId).then((attached) => {
      if (ended) return;
      if (attached) grace = setTimeout(check, Math.min(s.graceMs, 1_000));
      else stop("abandoned");
    });
  };

  return {
    add(m) {
      const id = nextId++;
      if (keeping && !s.log.append(requestId, { id, ...m })) keeping = false;
      return id;
    },
    clientLeft() {
      if (ended || grace) return;
      if (!keeping) return stop("abandoned");
      grace = setTimeout(check, s.graceMs);
    },
    get cancelled() {
      return cancelled;
    },
    end() {
      if (ended) return;
      ended = true;
      clearTimeout(grace);
      unsubscribe();
      s.log.finish(requestId);
    },
  };
}
