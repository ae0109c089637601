import { describe, expect, it } from "vitest";
import { childController, FINISHED } from "../../../src/util/index.js";

describe("childController", () => {
  it("aborts with the parent's reason, can abort alone, and detaches on dispose", () => {
    const parent = new AbortController();
    const a = childController(parent.signal);
    const b = childController(parent.signal);
    b.abort(FINISHED);
    expect(b.signal.reason).toBe(FINISHED);
    expect(parent.signal.aborted).toBe(false);
    const c = childController(parent.signal);
    c.dispose();
    parent.abort("gone");
    expect(a.signal.reason).toBe("gone");
    expect(c.signal.aborted).toBe(false);
    expect(childController(parent.signal).signal.aborted).toBe(true);
  });
});
