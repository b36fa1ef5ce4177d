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

export interface VerifyCandidate extends CaseLike {
  public_id: string;
  category_code: string;
  reported_by_me?: boolean;
}

/**
 * 待核查: handled cases the viewer is to verify, once each. The reporter verifies what they
 * reported where the category says so (`verified_by` = reporter); a 监督员 (who holds
 * `cases.verify_case`) also verifies the area's cases of the categories a 监督员 verifies
 * (`verified_by` = supervisor), whoever reported them. `mine`: open cases I reported;
 * `area`: handled cases in my area (fetched only for a viewer who may verify).
 */
export function verifyTasks<T extends VerifyCandidate>(
  mine: readonly T[],
  area: readonly T[],
  verifiedBy: (code: string) => string | undefined,
  v: Viewer,
): T[] {
  const out = new Map<string, T>();
  for (const c of mine) {
    if (c.status === "handled" && verifiedBy(c.category_code) === "reporter") out.set(c.public_id, c);
  }
  if (has(v, PERM.verify)) {
    for (const c of area) {
      if (c.status === "handled" && verifiedBy(c.category_code) === "supervisor" && !out.has(c.public_id)) {
        out.set(c.public_id, c);
      }
    }
  }
  return [...out.values()];
}
