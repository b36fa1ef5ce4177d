/**
 * The case board's rules: which actions a user's role may take on a case (mirroring
 * `cases.services._may`, `request_approval` and `states.APPROVER_ROLES`, so that a button
 * never leads to a 403), the step countdown's colour, and the board's client-side filters.
 */

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
export type RoleKey = "command" | "squad_leader" | "officer" | "traffic_police" | "sysadmin";

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
  系统管理员: "sysadmin",
  command: "command",
  squad_leader: "squad_leader",
  officer: "officer",
  traffic_police: "traffic_police",
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

export interface CaseLike {
  status: string;
  unit_id: string | null;
  allowed_actions: readonly string[];
  step_due_at: string | null;
  step_started_at?: string | null;
  overdue_steps?: readonly string[];
}

export interface ActOptions {
  /** the viewer reported the case (the API does not say yet: false unless known) */
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

/** The requests (回退/延期/缓办/作废) the viewer may file: the case's unit or the 指挥中心. */
export function requestableApprovals(c: CaseLike, v: Viewer, hasPending = false): ApprovalAction[] {
  if (hasPending) return [];
  const inUnit = v.unitId !== null && c.unit_id === v.unitId;
  if (!inUnit && !has(v, PERM.register)) return [];
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

// --- the step clock ------------------------------------------------------------------------

export type Tone = "none" | "normal" | "warning" | "overdue";
export const WARN_SHARE = 0.8;

function parse(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : at;
}

export function secondsToDue(c: Pick<CaseLike, "step_due_at">, now: number): number | null {
  const due = parse(c.step_due_at);
  return due === null ? null : Math.round((due - now) / 1000);
}

/**
 * normal; warning once 80 % of the step's span has run (the server's `cases.step_warn`; needs
 * the step's start, `step_started_at`, or `warned` from a "step_warned" timeline row);
 * overdue at the due time.
 */
export function stepTone(c: CaseLike, now: number, opts: { startedAt?: string | null; warned?: boolean } = {}): Tone {
  const due = parse(c.step_due_at);
  if (due === null) return "none";
  if (now >= due) return "overdue";
  if (opts.warned) return "warning";
  const start = parse(opts.startedAt ?? c.step_started_at ?? null);
  if (start !== null && due > start && (now - start) / (due - start) >= WARN_SHARE) return "warning";
  return "normal";
}

export function isOverdue(c: CaseLike, now: number): boolean {
  return stepTone(c, now) === "overdue";
}

/** `1天 02:03:04`, `02:03:04` or `03:04` (absolute; the caller says "left" or "overdue"). */
export function formatSpan(seconds: number, dayUnit = "天"): string {
  const s = Math.abs(Math.trunc(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  const hms = h > 0 || d > 0 ? `${two(h)}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
  return d > 0 ? `${d}${dayUnit} ${hms}` : hms;
}

// --- board filters -------------------------------------------------------------------------

export interface DistrictNode {
  public_id: string;
  parent_id: string | null;
}

/** A district and every district under it (the API's tree by `parent_id`). */
export function districtSubtree(districts: readonly DistrictNode[], rootId: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const d of districts) {
    if (d.parent_id) children.set(d.parent_id, [...(children.get(d.parent_id) ?? []), d.public_id]);
  }
  const out = new Set<string>();
  const stack = [rootId];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

export interface BoardFilter {
  districtIds: Set<string> | null;
  overdueOnly: boolean;
}

/** The board's rows: filtered, overdue first, then the nearest due time, then the rest. */
export function boardRows<T extends CaseLike & { district_id: string; created_at: string }>(
  rows: readonly T[],
  filter: BoardFilter,
  now: number,
): T[] {
  const kept = rows.filter(
    (r) => (!filter.districtIds || filter.districtIds.has(r.district_id)) && (!filter.overdueOnly || isOverdue(r, now)),
  );
  const due = (r: T) => parse(r.step_due_at) ?? Number.POSITIVE_INFINITY;
  return kept.sort((a, b) => {
    const oa = isOverdue(a, now) ? 0 : 1;
    const ob = isOverdue(b, now) ? 0 : 1;
    if (oa !== ob) return oa - ob;
    const da = due(a);
    const db = due(b);
    if (da !== db) return da - db;
    return b.created_at.localeCompare(a.created_at);
  });
}
