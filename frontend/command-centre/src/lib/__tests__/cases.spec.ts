import { describe, expect, it } from "vitest";
import {
  countLabel,
  directActions,
  mayDecide,
  requestableApprovals,
  roleKeys,
  stepTone,
  type CaseLike,
  type Viewer,
} from "../cases";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-03-02T10:00:00+08:00");
const iso = (h: number) => new Date(NOW + h * HOUR).toISOString();

const commander: Viewer = {
  username: "zhihui",
  unitId: null,
  roles: ["指挥中心"],
  permissions: ["cases.register_case", "cases.verify_case", "cases.report_case"],
};
const leader: Viewer = { username: "duizhang", unitId: "u1", roles: ["中队长"], permissions: ["cases.handle_case", "cases.report_case"] };
const officer: Viewer = { username: "duiyuan", unitId: "u1", roles: ["队员"], permissions: ["cases.handle_case", "cases.report_case"] };
const otherUnit: Viewer = { ...officer, username: "other", unitId: "u2" };

const at = (status: string, allowed: string[], extra: Partial<CaseLike> = {}): CaseLike => ({
  status,
  unit_id: "u1",
  allowed_actions: allowed,
  step_due_at: null,
  ...extra,
});
const reported = at("reported", ["register", "reject", "mark_duplicate", "void"], { unit_id: null });
const dispatched = at("dispatched", ["handle", "send_back", "extend", "defer", "void"]);
const handled = at("handled", ["verify_pass", "verify_fail", "void"]);

describe("actions a role sees", () => {
  it("指挥中心 registers, rejects and dispatches; 队员 do not", () => {
    expect(directActions(reported, commander)).toEqual(["register", "reject", "mark_duplicate"]);
    expect(directActions(reported, officer)).toEqual([]);
    expect(directActions(at("registered", ["dispatch", "void"]), commander)).toEqual(["dispatch"]);
  });

  it("only the case's unit (or the 指挥中心) handles it", () => {
    expect(directActions(dispatched, officer)).toEqual(["handle"]);
    expect(directActions(dispatched, otherUnit)).toEqual([]);
    expect(directActions(dispatched, commander)).toEqual([]); // no cases.handle_case
  });

  it("核查 by the verifier role, or by the reporter where the category says so", () => {
    expect(directActions(handled, commander)).toEqual(["verify_pass", "verify_fail"]);
    expect(directActions(handled, officer)).toEqual([]);
    expect(directActions(handled, officer, { isReporter: true, verifiedBy: "reporter" })).toEqual(["verify_pass", "verify_fail"]);
    expect(directActions(handled, officer, { isReporter: true, verifiedBy: "supervisor" })).toEqual([]);
  });

  it("a 监督员 verifies, and neither registers, dispatches, handles nor approves", () => {
    const supervisor: Viewer = {
      username: "jiandu",
      unitId: "u9",
      roles: ["监督员"],
      permissions: ["cases.report_case", "cases.verify_case"],
    };
    expect(roleKeys(supervisor.roles)).toEqual(new Set(["supervisor"]));
    expect(directActions(handled, supervisor, { verifiedBy: "supervisor" })).toEqual(["verify_pass", "verify_fail"]);
    expect(directActions(reported, supervisor)).toEqual([]);
    expect(directActions(dispatched, supervisor)).toEqual([]);
    expect(mayDecide({ action: "void", status: "pending", requested_by: "duiyuan" }, supervisor)).toBe(false);
    // placed in the case's unit, a 监督员 still files no 回退/延期/缓办/作废 (handlers do)
    expect(requestableApprovals({ ...dispatched, unit_id: "u9" }, supervisor)).toEqual([]);
  });

  it("approval requests come from the case's unit or the 指挥中心, one at a time", () => {
    expect(requestableApprovals(dispatched, officer)).toEqual(["send_back", "extend", "defer", "void"]);
    expect(requestableApprovals(dispatched, otherUnit)).toEqual([]);
    expect(requestableApprovals(reported, commander)).toEqual(["void"]);
    expect(requestableApprovals(dispatched, commander, true)).toEqual([]);
  });

  it("approvers follow APPROVER_ROLES and never decide their own request", () => {
    const extend = { action: "extend", status: "pending", requested_by: "duiyuan" };
    const voiding = { action: "void", status: "pending", requested_by: "duiyuan" };
    expect(mayDecide(extend, commander)).toBe(true);
    expect(mayDecide(extend, leader)).toBe(false);
    expect(mayDecide(voiding, leader)).toBe(true);
    expect(mayDecide(voiding, officer)).toBe(false);
    expect(mayDecide({ ...voiding, requested_by: "zhihui" }, commander)).toBe(false);
    expect(mayDecide({ ...extend, status: "approved" }, commander)).toBe(false);
    expect(mayDecide(extend, { ...officer, roles: ["系统管理员"] })).toBe(true);
  });
});

describe("the board", () => {
  it("colours the countdown with the shared step clock: normal, warning from 80 %, overdue", () => {
    const c = at("dispatched", [], { step_started_at: iso(-8), step_due_at: iso(2) });
    expect(stepTone(c, NOW - HOUR)).toBe("normal");
    expect(stepTone(c, NOW)).toBe("warning");
    expect(stepTone(c, NOW + 2 * HOUR)).toBe("overdue");
    expect(stepTone({ ...c, step_started_at: undefined }, NOW)).toBe("normal");
  });
});

describe("countLabel", () => {
  it("shows the exact count below the cap and 10000+ at it", () => {
    expect(countLabel(0)).toBe("0");
    expect(countLabel(9999)).toBe("9999");
    expect(countLabel(10000)).toBe("10000+");
  });
});
