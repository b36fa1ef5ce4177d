/**
 * The step clock of a case, shared by the officer app and the command centre: seconds to the
 * step's due time (`step_due_at`), its colour (normal; amber from 80 % of the step's span,
 * the server's `cases.step_warn`; red at the due time, `cases.step_overdue`), the countdown
 * text, and the "nearest due first" order.
 */

export type Tone = "none" | "normal" | "warning" | "overdue";

/** The share of a step's span after which the server warns (`cases.step_warn`). */
export const WARN_SHARE = 0.8;

/** What the clock needs of a case (`CaseOut` has both fields). */
export interface Clocked {
  step_due_at: string | null;
  step_started_at?: string | null;
}

export interface ToneOptions {
  /** the step's start, when the row does not carry `step_started_at` */
  startedAt?: string | null;
  /** a "step_warned" row in the timeline: amber whatever the span says */
  warned?: boolean;
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

/** The colour of the step countdown at `now` (epoch milliseconds). */
export function stepTone(c: Clocked, now: number, opts: ToneOptions = {}): Tone {
  const due = parse(c.step_due_at);
  if (due === null) return "none";
  if (now >= due) return "overdue";
  if (opts.warned) return "warning";
  const start = parse(opts.startedAt ?? c.step_started_at ?? null);
  if (start !== null && due > start && (now - start) / (due - start) >= WARN_SHARE) return "warning";
  return "normal";
}

export function isOverdue(c: Clocked, now: number): boolean {
  return stepTone(c, now) === "overdue";
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

/** Running clocks first, the nearest due time (so overdue ones) first; then the rest as given. */
export function byDue<T extends Clocked>(rows: readonly T[]): T[] {
  const due = (r: T) => parse(r.step_due_at) ?? Number.POSITIVE_INFINITY;
  return [...rows].sort((a, b) => due(a) - due(b));
}
