import { makeClient, unwrap, upload, type paths, type Schemas } from "@smartduty/api-client";
import { filterQuery, type Filters } from "./lib/format";

export const client = makeClient();
export type Dashboard = Schemas["DashboardOut"];
export type Stats = Schemas["StatsOut"];
export type District = Schemas["DistrictOut"];
export type Unit = Schemas["UnitOut"];
export type ConsoleRow = Schemas["ConsoleMessageOut"];
export type Me = Schemas["MeOut"];
export type CaseRow = Schemas["CaseOut"];
export type Category = Schemas["CategoryOut"];
export type TimelineRow = Schemas["TimelineOut"];
export type Approval = Schemas["ApprovalOut"];
export type CaseStatus = CaseRow["status"];
export type ApprovalIn = Schemas["ApprovalIn"];
export type CaseKpiTable = Schemas["CaseKpiTableOut"];
export type CaseKpiRow = Schemas["CaseKpiRowOut"];
export type CaseReport = Schemas["CaseReportOut"];
export type KpiGroupBy = "unit" | "category" | "district" | "grid";
export type CaseQuery = NonNullable<paths["/api/v1/cases"]["get"]["parameters"]["query"]>;
export type GridLayer = Schemas["GridCollectionOut"];

export interface CaseKpiQuery {
  groupBy: KpiGroupBy;
  dateFrom: string;
  dateTo: string;
  districtId: string;
}

function caseKpiQuery(q: CaseKpiQuery) {
  return { group_by: q.groupBy, date_from: q.dateFrom, date_to: q.dateTo, ...(q.districtId ? { district_id: q.districtId } : {}) };
}

/** The Excel export of the KPI table in view (`/api/v1/stats/cases.xlsx`). */
export function caseKpiExportUrl(q: CaseKpiQuery): string {
  return `/api/v1/stats/cases.xlsx?${new URLSearchParams(caseKpiQuery(q)).toString()}`;
}

export interface WebConfig {
  map: { tile_url: string; attribution: string; center: [number, number]; zoom: number };
  poll_seconds: number;
}

export const api = {
  me: () => unwrap(client.GET("/api/v1/me")),
  dashboard: (f: Filters) =>
    unwrap(client.GET("/api/v1/stats/parking/dashboard", { params: { query: filterQuery(f) } })),
  districts: () => unwrap(client.GET("/api/v1/districts")),
  units: () => unwrap(client.GET("/api/v1/units")),
  categories: () => unwrap(client.GET("/api/v1/case-categories")),
  cases: (query: Omit<CaseQuery, "limit" | "offset">) =>
    unwrap(client.GET("/api/v1/cases", { params: { query: { ...query, limit: 200 } } })),
  caseKpis: (q: CaseKpiQuery) => unwrap(client.GET("/api/v1/stats/cases", { params: { query: caseKpiQuery(q) } })),
  /** the worker's daily reports (日报), newest day first; PDF and Excel at `pdf_url`/`xlsx_url` */
  caseReports: (districtId = "") =>
    unwrap(client.GET("/api/v1/stats/case-reports", { params: { query: { limit: 31, ...(districtId ? { district_id: districtId } : {}) } } })),
  grids: (districtId = "") =>
    unwrap(client.GET("/api/v1/grids", { params: { query: districtId ? { district_id: districtId } : {} } })),
  caseOne: (id: string) => unwrap(client.GET("/api/v1/cases/{public_id}", { params: { path: { public_id: id } } })),
  timeline: (id: string) =>
    unwrap(client.GET("/api/v1/cases/{public_id}/timeline", { params: { path: { public_id: id } } })),
  /** one step of the loop (multipart: `dispatch` with `unit_id`, `verify_*` with the photo) */
  act: (id: string, form: FormData) => upload<CaseRow>(`/api/v1/cases/${id}/transitions`, form).then((r) => r.data),
  requestApproval: (id: string, body: ApprovalIn) =>
    unwrap(client.POST("/api/v1/cases/{public_id}/approvals", { params: { path: { public_id: id } }, body })),
  approvals: (pending = true) =>
    unwrap(client.GET("/api/v1/case-approvals", { params: { query: { pending, limit: 200 } } })),
  decide: (id: string, approve: boolean, note: string) =>
    unwrap(
      client.POST("/api/v1/case-approvals/{public_id}/decision", {
        params: { path: { public_id: id } },
        body: { approve, note },
      }),
    ),
  consoleSms: () => unwrap(client.GET("/api/v1/outbox/console", { params: { query: { limit: 8 } } })),
  async config(): Promise<WebConfig> {
    const fallback: WebConfig = { map: { tile_url: "", attribution: "", center: [36.456, 115.985], zoom: 13 }, poll_seconds: 5 };
    try {
      const response = await fetch("/web/config.json", { credentials: "same-origin" });
      return response.ok ? ((await response.json()) as WebConfig) : fallback;
    } catch {
      return fallback;
    }
  },
};
