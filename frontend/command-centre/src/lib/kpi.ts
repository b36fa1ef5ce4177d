/** Colour grades of the KPI table (the same cut-offs as the Excel export: ≥ 90 %, ≥ 80 %). */

export type Grade = "good" | "fair" | "poor" | "none";

export const GOOD_RATE = 90;
export const FAIR_RATE = 80;

/** `rate` in percent (0-100); null (nothing due) has no grade. */
export function rateGrade(rate: number | null | undefined): Grade {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "none";
  if (rate >= GOOD_RATE) return "good";
  if (rate >= FAIR_RATE) return "fair";
  return "poor";
}

/** `93.5%`, or `—` when there is no rate. */
export function pct(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${rate.toFixed(1)}%`;
}
