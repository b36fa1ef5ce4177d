import { describe, expect, it } from "vitest";
import { byDue, formatSpan, isOverdue, secondsToDue, stepTone, WARN_SHARE } from "../stepclock";

const T0 = Date.parse("2026-03-02T08:30:00+08:00");
const HOUR = 3_600_000;
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
const clock = (startH: number, dueH: number) => ({ step_started_at: at(startH), step_due_at: at(dueH) });

describe("the step clock", () => {
  it("is normal, amber from 80 % of the step's span, red at the due time", () => {
    const c = clock(0, 10);
    expect(WARN_SHARE).toBe(0.8);
    expect(stepTone(c, T0 + 7.9 * HOUR)).toBe("normal");
    expect(stepTone(c, T0 + 8 * HOUR)).toBe("warning");
    expect(stepTone(c, T0 + 10 * HOUR)).toBe("overdue");
    expect(isOverdue(c, T0 + 10 * HOUR)).toBe(true);
    expect(secondsToDue(c, T0 + 11 * HOUR)).toBe(-3600);
  });

  it("without the step's start turns amber only on the server's warning", () => {
    const c = { step_due_at: at(1) };
    expect(stepTone(c, T0 + 0.95 * HOUR)).toBe("normal");
    expect(stepTone(c, T0 + 0.95 * HOUR, { warned: true })).toBe("warning");
    expect(stepTone(c, T0 + 0.95 * HOUR, { startedAt: at(0) })).toBe("warning");
    expect(stepTone({ step_due_at: null }, T0)).toBe("none");
    expect(stepTone({ step_due_at: "not a date" }, T0)).toBe("none");
    expect(secondsToDue({ step_due_at: null }, T0)).toBeNull();
  });

  it("formats long spans with days", () => {
    expect(formatSpan(65)).toBe("01:05");
    expect(formatSpan(-3725)).toBe("01:02:05");
    expect(formatSpan(2 * 86_400 + 60)).toBe("2天 00:01:00");
    expect(formatSpan(86_400, "d")).toBe("1d 00:00:00");
  });

  it("puts the nearest due time first and clockless cases last", () => {
    const rows = [{ ...clock(0, 5), id: "b" }, { step_due_at: null, id: "c" }, { ...clock(0, -1), id: "a" }];
    expect(byDue(rows).map((r) => r.id)).toEqual(["a", "b", "c"]);
  });
});
