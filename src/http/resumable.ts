import type { EventLog, StreamControl } from "../fleet/index.js";

/**
 * Resumable streams (RESUME_GRACE_SECONDS > 0): every event of a stream carries an SSE `id:` and
 * is kept in the event log, so a client that lost its connection can reconnect — to any replica —
 * with `Last-Event-ID` and get every later event exactly once. When the client leaves, the
 * request keeps running for the grace period, and for as long as a reader is attached; then, if
 * nobody came back, it is cancelled as a disconnect always was. An explicit cancel ends it at once.
 */
export interface ResumeSettings {
  graceMs: number;
  log: EventLog;
  control: StreamControl;
}

export interface Resumable {
  /** The frames with `id:` lines on their events (comments untouched), each event kept. */
  frame(text: string): string;
  /** The client's connection is gone: start the grace period. */
  clientLeft(): void;
  /** The run is over: no more events; followers end after the last one. */
  end(): void;
}

/** Who may resume or cancel a request: the key that started it ("" on an open gateway). */
export function ownerOf(keyName: string | undefined): string {
  return keyName ?? "";
}

export function resumable(s: ResumeSettings, requestId: string, owner: string, cancel: () => void): Resumable {
  let nextId = 1;
  let grace: NodeJS.Timeout | undefined;
  let ended = false;
  void s.log.open(requestId, owner);
  const unsubscribe = s.control.onCancel(requestId, cancel);

  /** At the end of a grace period: go on while a reader is attached somewhere, else cancel. */
  const check = (): void => {
    void s.control.attached(requestId).then((attached) => {
      if (ended) return;
      if (attached) grace = setTimeout(check, Math.min(s.graceMs, 1_000));
      else cancel();
    });
  };

  return {
    frame(text) {
      if (text === "" || text.startsWith(":")) return text;
      // A frame may hold several SSE events (the Responses dialect): each gets its own id.
      let out = "";
      for (const event of text.split(/(?<=\n\n)/)) {
        if (event === "" || event.startsWith(":")) {
          out += event;
          continue;
        }
        const id = nextId++;
        s.log.append(requestId, id, event);
        out += `id: ${id}\n${event}`;
      }
      return out;
    },
    clientLeft() {
      if (ended || grace) return;
      grace = setTimeout(check, s.graceMs);
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
