/** Number and time formatting for the wall screen. */

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function minutes(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? "—" : (seconds / 60).toFixed(1);
}

export function countdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function clock(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

export function isoDate(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

export interface Filters {
  dateFrom: string;
  dateTo: string;
  districtId: string;
  unitId: string;
}

/** The query of the dashboard, the export and the counters for the current filters. */
export function filterQuery(f: Filters): Record<string, string> {
  const q: Record<string, string> = { date_from: f.dateFrom, date_to: f.dateTo };
  if (f.districtId) q.district_id = f.districtId;
  if (f.unitId) q.unit_id = f.unitId;
  return q;
}

export function exportUrl(f: Filters): string {
  return `/api/v1/stats/parking.xlsx?${new URLSearchParams(filterQuery(f)).toString()}`;
}

/** Default period: the last 7 days including today. */
export function defaultFilters(today: Date = new Date()): Filters {
  const from = new Date(today);
  from.setDate(from.getDate() - 6);
  return { dateFrom: isoDate(from), dateTo: isoDate(today), districtId: "", unitId: "" };
}
