import type { TextSink } from "./io.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const FRAME_MS = 80;
/** Carriage return + "erase the whole line": leaves the cursor where the spinner started. */
const CLEAR_LINE = "\r\u001b[2K";

/** A one-line activity indicator; `start` again just changes its label. */
export interface Spinner {
  /**
   * Show `label` and the seconds since `since` (a `now()` reading). Without `since` the count goes
   * on from where the running spinner started, or from now when it was stopped.
   */
  start(label: string, since?: number): void;
  /** Erase the spinner line; must run before anything else is written to the terminal. */
  stop(): void;
}

/** A spinner that does nothing: for pipes, files and `--json`, where frames would be garbage. */
export const silentSpinner: Spinner = { start() {}, stop() {} };

/**
 * A spinner drawn on `sink` (stderr), so it never pollutes stdout. It shows the seconds spent
 * waiting, because "is it stuck?" is the question a long reasoning phase raises.
 */
export function createSpinner(sink: TextSink, now: () => number): Spinner {
  let timer: ReturnType<typeof setInterval> | undefined;
  let label = "";
  let frame = 0;
  let since = 0;

  const draw = (): void => {
    const seconds = ((now() - since) / 1000).toFixed(1);
    sink.write(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length] ?? "-"} ${label} ${seconds}s`);
    frame++;
  };

  return {
    start(next, from) {
      // Text written between two waits stops the spinner; a phase that goes on (the model still
      // reasoning after a progress line) passes its own start so the count does not restart.
      if (from !== undefined) since = from;
      else if (timer === undefined) since = now();
      label = next;
      draw();
      if (timer === undefined) {
        timer = setInterval(draw, FRAME_MS);
        // A spinner must never keep the process alive on its own.
        timer.unref();
      }
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      sink.write(CLEAR_LINE);
    },
  };
}
