/**
 * What the officer may do with a case (the rules mirror `cases.services._may`, so that a
 * button never leads to a 403); the step clock comes from `@smartduty/api-client`.
 */

import type { Clocked as ClockFields } from "@smartduty/api-client";

// the clock itself (colour, countdown, order) is shared with the command centre
export { byDue, formatSpan, secondsToDue, stepTone, WARN_SHARE, type Tone } from "@smartduty/api-client";

export interface Clocked extends ClockFields {
  status: string;
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
