/**
 * The case board's rules: which actions a user's role may take on a case (mirroring
 * `cases.services._may`, `request_approval` and `states.APPROVER_ROLES`, so that a button
 * never leads to a 403). The step clock (colour, countdown) is `@smartduty/api-client`'s,
 * shared with the officer app; the board's filters and order are the server's.
 */
import type { Clocked } from "@smartduty/api-client";

export { formatSpan, isOverdue, secondsToDue, stepTone, WARN_SHARE, type Tone } from "@smartduty/api-client";

export type DirectAction =
  | "register"
  | "reject"
  | "mark_duplicate"
  | "dispatch"
  | "handle"
  | "verify_pass"
  | "verify_fail"
  | "resume"
  | "evaluate";
export type ApprovalAction = "send_back" | "extend" | "defer" | "void";
export type RoleKey = "command" | "squad_leader" | "officer" | "traffic_police" | "supervisor" | "sysadmin";

export const DIRECT_ACTIONS: readonly DirectAction[] = [
  "register",
  "reject",
  "mark_duplicate",
  "dispatch",
  "handle",
  "verify_pass",
  "verify_fail",
  "resume",
  "evaluate",
];
export const APPROVAL_ACTIONS: readonly ApprovalAction[] = ["send_back", "extend", "defer", "void"];

/** `states.APPROVER_ROLES`: who may approve each request. */
export const APPROVER_ROLES: Readonly<Record<ApprovalAction, readonly RoleKey[]>> = {
  send_back: ["command"],
  extend: ["command"],
  defer: ["command"],
  void: ["command", "squad_leader"],
};

export const PERM = {
  register: "cases.register_case",
  handle: "cases.handle_case",
  verify: "cases.verify_case",
} as const;

/** `/me` lists the role groups by their label (`指挥中心`); values are accepted too. */
const ROLE_BY_NAME: Readonly<Record<string, RoleKey>> = {
  指挥中心: "command",
  中队长: "squad_leader",
  队员: "officer",
  交警: "traffic_police",
  监督员: "supervisor",
  系统管理员: "sysadmin",
  command: "command",
  squad_leader: "squad_leader",
  officer: "officer",
  traffic_police: "traffic_police",
  supervisor: "supervisor",
  sysadmin: "sysadmin",
};

export interface Viewer {
  username: string;
  unitId: string | null;
  permissions: readonly string[];
  roles: readonly string[];
}

export function roleKeys(roles: readonly string[]): Set<RoleKey> {
  const keys = new Set<RoleKey>();
  for (const name of roles) {
    const key = ROLE_BY_NAME[name];
    if (key) keys.add(key);
  }
  return keys;
}

const isAdmin = (v: Viewer) => roleKeys(v.roles).has("sysadmin");
const has = (v: Viewer, perm: string) => isAdmin(v) || v.permissions.includes(perm);

export interface CaseLike extends Clocked {
  status: string;
  unit_id: string | null;
  allowed_actions: readonly string[];
  overdue_steps?: readonly string[];
}

export interface ActOptions {
  /** the viewer reported the case (`CaseOut.reported_by_me`) */
  isReporter?: boolean;
  /** the category's `verified_by` */
  verifiedBy?: string;
}

/** May the viewer take this action now (status allows it and the role may)? */
export function mayAct(c: CaseLike, action: DirectAction, v: Viewer, opts: ActOptions = {}): boolean {
  if (!c.allowed_actions.includes(action)) return false;
  const inUnit = v.unitId !== null && c.unit_id === v.unitId;
  switch (action) {
    case "register":
    case "reject":
    case "mark_duplicate":
    case "dispatch":
    case "resume":
      return has(v, PERM.register);
    case "handle":
      return has(v, PERM.handle) && (inUnit || has(v, PERM.register));
    case "verify_pass":
    case "verify_fail":
      return (opts.isReporter === true && opts.verifiedBy === "reporter") || has(v, PERM.verify);
    case "evaluate":
      return opts.isReporter === true || has(v, PERM.register);
  }
}

export function directActions(c: CaseLike, v: Viewer, opts: ActOptions = {}): DirectAction[] {
  return DIRECT_ACTIONS.filter((a) => mayAct(c, a, v, opts));
}

/** The requests (回退/延期/缓办/作废) the viewer may file: a handler of the case's unit or the 指挥中心. */
export function requestableApprovals(c: CaseLike, v: Viewer, hasPending = false): ApprovalAction[] {
  if (hasPending) return [];
  const inUnit = v.unitId !== null && c.unit_id === v.unitId;
  if (!(inUnit && has(v, PERM.handle)) && !has(v, PERM.register)) return [];
  return APPROVAL_ACTIONS.filter((a) => c.allowed_actions.includes(a));
}

export interface ApprovalLike {
  action: string;
  status: string;
  requested_by: string;
}

/** May the viewer approve or reject this request (the role, and never one's own request)? */
export function mayDecide(a: ApprovalLike, v: Viewer): boolean {
  if (a.status !== "pending") return false;
  if (isAdmin(v)) return true;
  if (a.requested_by === v.username) return false;
  const allowed = APPROVER_ROLES[a.action as ApprovalAction] ?? [];
  const mine = roleKeys(v.roles);
  return allowed.some((r) => mine.has(r));
}

/** The board's `count` is exact up to this and stops there (the API's `COUNT_CAP`). */
export const COUNT_CAP = 10_000;

/** The count as the board shows it: "10000+" once the API stopped counting. */
export function countLabel(count: number): string {
  return count >= COUNT_CAP ? `${COUNT_CAP}+` : String(count);
}
