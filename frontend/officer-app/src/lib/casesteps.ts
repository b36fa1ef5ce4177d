/**
 * The step clock of a case (`step_due_at`) and what the officer may do with it. The rules
 * mirror `cases.services._may` so that a button never leads to a 403.
 */

/** normal; warning from 80 % of the step's span (the server's `cases.step_warn`); overdue. */
export type Tone = "none" | "normal" | "warning" | "overdue";

export const WARN_SHARE = 0.8;

export interface Clocked {
  status: string;
  step_due_at: string | null;
  /** Not in `CaseOut` yet (the model has it): used when the API sends it. */
  step_started_at?: string | null;
}

function parse(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : at;
}

/** Seconds to the step's due time; negative once it is past; null without a running clock. */
export function secondsToDue(c: Clocked, now: number): number | null {
  const due = parse(c.step_due_at);
  return due === null ? null : Math.round((due - now) / 1000);
}

/**
 * The colour of a step countdown. `startedAt` (the step's start) gives the 80 % mark; without
 * it only `warned` (a "step_warned" row in the timeline) turns it amber.
 */
export function stepTone(c: Clocked, now: number, opts: { startedAt?: string | null; warned?: boolean } = {}): Tone {
  const due = parse(c.step_due_at);
  if (due === null) return "none";
  if (now >= due) return "overdue";
  if (opts.warned) return "warning";
  const start = parse(opts.startedAt ?? c.step_started_at ?? null);
  if (start !== null && due > start && (now - start) / (due - start) >= WARN_SHARE) return "warning";
  return "normal";
}

/** `1天 02:03:04`, `02:03:04` or `03:04` (absolute value; the caller says "left"/"overdue"). */
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

export interface Viewer {
  unitId: string | null;
  permissions: readonly string[];
}

export interface CaseLike extends Clocked {
  unit_id: string | null;
  allowed_actions: readonly string[];
}

export const PERM = {
  report: "cases.report_case",
  register: "cases.register_case",
  handle: "cases.handle_case",
  verify: "cases.verify_case",
  reportParking: "parking.report_parking",
} as const;

const has = (v: Viewer, perm: string) => v.permissions.includes(perm);

/** 处置: the case's own unit (or the 指挥中心's right), while the case is dispatched. */
export function mayHandle(c: CaseLike, v: Viewer): boolean {
  if (!c.allowed_actions.includes("handle") || !has(v, PERM.handle)) return false;
  return (v.unitId !== null && c.unit_id === v.unitId) || has(v, PERM.register);
}

/** 核查: the reporter where the category says so, or whoever holds `cases.verify_case`. */
export function mayVerify(c: CaseLike, v: Viewer, opts: { isReporter: boolean; verifiedBy?: string }): boolean {
  if (!c.allowed_actions.includes("verify_pass")) return false;
  return (opts.isReporter && opts.verifiedBy === "reporter") || has(v, PERM.verify);
}

/** Running clocks first (nearest due time, overdue ones first), then the rest as given. */
export function byDue<T extends Clocked>(rows: readonly T[]): T[] {
  const due = (r: T) => parse(r.step_due_at) ?? Number.POSITIVE_INFINITY;
  return [...rows].sort((a, b) => due(a) - due(b));
}
