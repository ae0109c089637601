import { describe, expect, it } from "vitest";
import { messageSize, type LoggedMessage } from "../../../src/events/index.js";
import { createMemoryEventLog, EventsLostError } from "../../../src/fleet/index.js";

/*
 * The in-memory event log's two bounds: one request's messages (past it, that log ends lost and
 * lets go of its memory) and all of them (finished logs are evicted oldest first, then the one
 * growing is lost). Reads never hand out a hole, and nothing thrown reaches the writer.
 */

const msg = (id: number, size = 100): LoggedMessage => ({ id, event: "output.delta", data: "x".repeat(size) });
const SIZE = messageSize(msg(1));
const meta = { owner: "k", instance: "here" };

describe("the memory event log's bounds", () => {
  it("a request over RESUME_MAX_BYTES ends lost: its memory is let go, and a reader is told", async () => {
    const log = createMemoryEventLog({ graceMs: 60_000, maxBytesPerRequest: SIZE * 2, maxTotalBytes: SIZE * 100 });
    await log.open("a", meta);
    expect([1, 2, 3].map((i) => log.append("a", msg(i)))).toEqual([true, true, false]);
    expect(log.keptBytes()).toBe(0);
    await expect(log.read("a", 0)).rejects.toBeInstanceOf(EventsLostError);
    await log.close();
  });

  it("past RESUME_MAX_TOTAL_BYTES finished logs are evicted oldest first; a running one is never evicted, it is lost instead", async () => {
    const log = createMemoryEventLog({ graceMs: 60_000, maxBytesPerRequest: SIZE * 10, maxTotalBytes: SIZE * 4 });
    for (const id of ["old", "newer"]) {
      await log.open(id, meta);
      log.append(id, msg(1));
      log.finish(id);
    }
    await log.open("running", meta);
    log.append("running", msg(1));
    await log.open("growing", meta);
    // Room for one more: then "old" is evicted, then "newer"; "running" stays.
    expect(log.append("growing", msg(1))).toBe(true);
    expect(log.append("growing", msg(2))).toBe(true);
    expect(log.has("old")).toBe(false);
    expect(log.append("growing", msg(3))).toBe(true);
    expect(log.has("newer")).toBe(false);
    expect(log.keptBytes()).toBe(SIZE * 4);
    // Nothing finished is left to evict: the growing log is the one that loses.
    expect(log.append("growing", msg(4))).toBe(false);
    expect((await log.read("running", 0)).map((m) => m.id)).toEqual([1]);
    await expect(log.read("growing", 0)).rejects.toBeInstanceOf(EventsLostError);
    expect(log.keptBytes()).toBe(SIZE);
    await log.close();
  });

  it("an out-of-order id never throws to the writer: the log ends lost", async () => {
    const log = createMemoryEventLog({ graceMs: 60_000, maxBytesPerRequest: 1 << 20, maxTotalBytes: 1 << 20 });
    await log.open("a", meta);
    expect(log.append("a", msg(1))).toBe(true);
    expect(log.append("a", msg(1))).toBe(false);
    expect(log.append("a", msg(2))).toBe(false);
    await expect(log.read("a", 0)).rejects.toBeInstanceOf(EventsLostError);
    await log.close();
  });
});
