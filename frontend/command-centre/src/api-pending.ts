/**
 * PENDING GENERATED TYPES — hand-declared until `make api-client` picks up the endpoints below.
 *
 * `GET /api/v1/stats/cases` (KPI table) and `GET /api/v1/stats/cases.xlsx` are being added to
 * the backend (`stats.schemas.CaseKpiTableOut`) and are not in `@smartduty/api-client` yet.
 * After regenerating: replace `CaseKpiTable`/`CaseKpiRow` with `Schemas["CaseKpiTableOut"]` /
 * `Schemas["CaseKpiRowOut"]`, `fetchCaseKpis` with a typed `client.GET("/api/v1/stats/cases")`,
 * and delete this file. Nothing else imports it but `api.ts`.
 */
import { toApiError } from "@smartduty/api-client";

export type KpiGroupBy = "unit" | "category" | "district" | "grid";

/** One group (or the total, `key` null); rates are percentages (0-100), null without cases due. */
export interface CaseKpiRow {
  key: string | null;
  label: string;
  received: number;
  registered: number;
  due: number;
  closed: number;
  closed_on_time: number;
  reworked: number;
  extended: number;
  voided: number;
  closure_rate: number | null;
  on_time_rate: number | null;
  rework_rate: number | null;
  extension_rate: number | null;
  void_rate: number | null;
  mean_handling_hours: number | null;
}

export interface CaseKpiTable {
  date_from: string;
  date_to: string;
  group_by: string;
  scope_label: string;
  rows: CaseKpiRow[];
  total: CaseKpiRow;
}

export interface CaseKpiQuery {
  groupBy: KpiGroupBy;
  dateFrom: string;
  dateTo: string;
  districtId: string;
}

export function caseKpiParams(q: CaseKpiQuery): URLSearchParams {
  const params = new URLSearchParams({ group_by: q.groupBy, date_from: q.dateFrom, date_to: q.dateTo });
  if (q.districtId) params.set("district_id", q.districtId);
  return params;
}

export async function fetchCaseKpis(q: CaseKpiQuery): Promise<CaseKpiTable> {
  let response: Response;
  try {
    response = await fetch(`/api/v1/stats/cases?${caseKpiParams(q).toString()}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch {
    throw toApiError(0, null);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, body);
  return body as CaseKpiTable;
}

export function caseKpiExportUrl(q: CaseKpiQuery): string {
  return `/api/v1/stats/cases.xlsx?${caseKpiParams(q).toString()}`;
}
