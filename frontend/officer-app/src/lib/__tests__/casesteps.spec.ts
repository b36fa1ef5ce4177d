import { describe, expect, it } from "vitest";
import { byDue, formatSpan, mayHandle, mayVerify, secondsToDue, stepTone, verifyTasks, type CaseLike } from "../casesteps";

const T0 = Date.parse("2026-03-02T08:30:00+08:00");
const HOUR = 3_600_000;

const clock = (startH: number, dueH: number) => ({
  status: "dispatched",
  step_started_at: new Date(T0 + startH * HOUR).toISOString(),
  step_due_at: new Date(T0 + dueH * HOUR).toISOString(),
});

describe("the shared step clock", () => {
  it("is re-exported for the officer app's screens", () => {
    const c = clock(0, 10);
    expect(stepTone(c, T0 + 8 * HOUR)).toBe("warning");
    expect(secondsToDue(c, T0 + 11 * HOUR)).toBe(-3600);
    expect(formatSpan(65)).toBe("01:05");
    expect(byDue([{ ...clock(0, 5), id: "b" }, { ...clock(0, 1), id: "a" }]).map((r) => r.id)).toEqual(["a", "b"]);
  });
});

describe("what an officer may do", () => {
  const dispatched: CaseLike = { ...clock(0, 4), unit_id: "u1", allowed_actions: ["handle", "send_back", "extend", "defer", "void"] };
  const handled: CaseLike = { status: "handled", step_due_at: null, unit_id: "u1", allowed_actions: ["verify_pass", "verify_fail", "void"] };
  const officer = { unitId: "u1", permissions: ["cases.report_case", "cases.handle_case"] };
  const cleaner = { unitId: "u9", permissions: ["cases.handle_case"] };

  it("handles only its own unit's cases", () => {
    expect(mayHandle(dispatched, officer)).toBe(true);
    expect(mayHandle(dispatched, cleaner)).toBe(false);
    expect(mayHandle(handled, officer)).toBe(false);
  });

  it("verifies as the reporter only where the category says so", () => {
    expect(mayVerify(handled, officer, { isReporter: true, verifiedBy: "reporter" })).toBe(true);
    expect(mayVerify(handled, officer, { isReporter: true, verifiedBy: "supervisor" })).toBe(false);
    expect(mayVerify(handled, officer, { isReporter: false, verifiedBy: "reporter" })).toBe(false);
    expect(mayVerify(handled, { unitId: null, permissions: ["cases.verify_case"] }, { isReporter: false })).toBe(true);
    expect(mayVerify(dispatched, officer, { isReporter: true, verifiedBy: "reporter" })).toBe(false);
  });
});

describe("待核查: the reporter's and the 监督员's verification tasks", () => {
  const row = (id: string, code: string, status = "handled") => ({
    public_id: id,
    category_code: code,
    status,
    step_due_at: null,
    unit_id: "u1",
    allowed_actions: status === "handled" ? ["verify_pass", "verify_fail"] : [],
  });
  // E0201 小广告: the reporter verifies; E0401 占道经营: a 监督员 verifies
  const verifiedBy = (code: string) => ({ E0201: "reporter", E0401: "supervisor" })[code];
  const officer = { unitId: "u1", permissions: ["cases.report_case", "cases.handle_case"] };
  const supervisor = { unitId: "u1", permissions: ["cases.report_case", "cases.verify_case"] };
  const mine = [row("ad", "E0201"), row("stall-mine", "E0401"), row("open", "E0201", "dispatched")];
  const area = [row("stall-mine", "E0401"), row("stall-other", "E0401"), row("ad-other", "E0201")];

  it("a reporter verifies only the reporter-verified cases they reported", () => {
    expect(verifyTasks(mine, area, verifiedBy, officer).map((c) => c.public_id)).toEqual(["ad"]);
  });

  it("a 监督员 also verifies the area's supervisor-verified cases, each once", () => {
    expect(verifyTasks(mine, area, verifiedBy, supervisor).map((c) => c.public_id)).toEqual([
      "ad",
      "stall-mine",
      "stall-other",
    ]);
    expect(mayVerify(area[1], supervisor, { isReporter: false, verifiedBy: "supervisor" })).toBe(true);
  });
});
