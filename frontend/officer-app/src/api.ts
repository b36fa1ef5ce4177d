/** The officer app's calls to the API (typed client) and the queue's transport. */
import {
  ApiError,
  makeClient,
  unwrap,
  upload,
  type ReportOut,
  type Schemas,
} from "@smartduty/api-client";
import type { QueueTransport } from "./lib/queue";

export const client = makeClient();
export type Report = ReportOut;
export type Me = Schemas["MeOut"];
export type MyDay = Schemas["MyDayOut"];
export type Step = Schemas["TransitionOut"];
export type DeliveryRow = Schemas["DeliveryOut"];
export type ConsoleRow = Schemas["ConsoleMessageOut"];
export type AppNotice = Schemas["AppNotificationOut"];
export type CaseRow = Schemas["CaseOut"];
export type Category = Schemas["CategoryOut"];
export type CaseStep = Schemas["TimelineOut"];
export type Nearby = Schemas["NearbyOut"];
export type NearbyCase = Schemas["NearbyCaseOut"];
export type UnitRow = Schemas["UnitOut"];

const OPEN = new Set(["reported", "awaiting_move", "awaiting_recheck", "owner_unknown", "notice_posted"]);
export const isOpen = (r: Pick<Report, "status">) => OPEN.has(r.status);

const path = (id: string) => ({ params: { path: { public_id: id } } });

export const api = {
  me: () => unwrap(client.GET("/api/v1/me")),
  today: () => unwrap(client.GET("/api/v1/stats/parking/today")),
  myCases: () =>
    unwrap(client.GET("/api/v1/parking-reports", { params: { query: { mine: true, limit: 50 } } })),
  report: (id: string) => unwrap(client.GET("/api/v1/parking-reports/{public_id}", path(id))),
  timeline: (id: string) => unwrap(client.GET("/api/v1/parking-reports/{public_id}/timeline", path(id))),
  deliveries: (id: string) =>
    unwrap(client.GET("/api/v1/outbox/deliveries", { params: { query: { report_id: id } } })),
  consoleSms: (id: string) =>
    unwrap(client.GET("/api/v1/outbox/console", { params: { query: { report_id: id, limit: 5 } } })),
  notifications: (since?: string) =>
    unwrap(client.GET("/api/v1/notifications/app", { params: { query: since ? { since } : {} } })),
  confirmPlate: (id: string, plate: string, version: number, place?: string) =>
    unwrap(
      client.POST("/api/v1/parking-reports/{public_id}/plate", {
        ...path(id),
        // `place` lets the officer correct the place name at confirm time (ignored by servers
        // that do not support it yet)
        body: { plate, version, ...(place ? { place } : {}) } as Schemas["PlateIn"],
      }),
    ),
  transition: (id: string, action: "confirm_moved" | "void", version: number, reason = "") =>
    unwrap(
      client.POST("/api/v1/parking-reports/{public_id}/transitions", {
        ...path(id),
        body: { action, version, reason },
      }),
    ),
  issueNotice: (id: string, version: number) =>
    unwrap(client.POST("/api/v1/parking-reports/{public_id}/notice", { ...path(id), body: { version } })),
  createReport: (form: FormData, onProgress?: (f: number) => void) =>
    upload<Report>("/api/v1/parking-reports", form, { onProgress }),
  recheck: (id: string, form: FormData, onProgress?: (f: number) => void) =>
    upload<Report>(`/api/v1/parking-reports/${id}/recheck`, form, { onProgress }).then((r) => r.data),
  noticePhoto: (id: string, form: FormData, onProgress?: (f: number) => void) =>
    upload<Report>(`/api/v1/parking-reports/${id}/notice-photo`, form, { onProgress }).then((r) => r.data),
  // --- the case core (other categories than parking) ---
  categories: () => unwrap(client.GET("/api/v1/case-categories")),
  units: () => unwrap(client.GET("/api/v1/units")),
  /** cases my unit must handle (处置) */
  unitTasks: (unitId: string) =>
    unwrap(
      client.GET("/api/v1/cases", { params: { query: { unit_id: unitId, status: "dispatched", limit: 100 } } }),
    ).then((page) => page.items),
  /** open cases I reported (核查 where the category says the reporter verifies) */
  myReported: () =>
    unwrap(client.GET("/api/v1/cases", { params: { query: { mine: true, open_only: true, limit: 100 } } })).then(
      (page) => page.items,
    ),
  /** handled cases in my area (核查 by a 监督员, who holds `cases.verify_case`) */
  areaToVerify: () =>
    unwrap(client.GET("/api/v1/cases", { params: { query: { status: "handled", limit: 100 } } })).then(
      (page) => page.items,
    ),
  caseOne: (id: string) => unwrap(client.GET("/api/v1/cases/{public_id}", path(id))),
  caseTimeline: (id: string) => unwrap(client.GET("/api/v1/cases/{public_id}/timeline", path(id))),
  /** 已有人上报: open cases of the category within its duplicate radius of the point */
  nearby: (categoryCode: string, lat: number, lon: number) =>
    unwrap(client.GET("/api/v1/cases/nearby", { params: { query: { category_code: categoryCode, lat, lon } } })),
  createCase: (form: FormData, onProgress?: (f: number) => void) =>
    upload<CaseRow>("/api/v1/cases", form, { onProgress }),
  /** one step of the loop (`handle` with the after-photo, `verify_pass`/`verify_fail` with a photo) */
  caseAction: (id: string, form: FormData, onProgress?: (f: number) => void) =>
    upload<CaseRow>(`/api/v1/cases/${id}/transitions`, form, { onProgress }).then((r) => r.data),
  noticeUrl: (id: string, layout: "a6" | "thermal80" = "a6") =>
    `/api/v1/parking-reports/${id}/notice.pdf?layout=${layout}`,
};

export interface Reading {
  plate: string;
  confidence: number | null;
  /** GA 36 plate colour (`blue`, `green_small`…), when the recognizer says */
  color?: string | null;
  /** low confidence: the officer should look twice */
  needsReview?: boolean;
  /** 0-based positions of the characters read with low confidence (the ones to check) */
  unsure?: number[];
}

const RECOGNIZER_OFF = "smartduty.recognizer.off";

/**
 * Optional plate recognizer (`POST /api/v1/plates/read`). When the server has none (404/405/501)
 * it is not asked again in this session, and the officer types the plate instead.
 */
export async function readPlate(photo: Blob): Promise<Reading | null> {
  if (sessionStorage.getItem(RECOGNIZER_OFF)) return null;
  const form = new FormData();
  form.append("file", photo, "photo.jpg");
  try {
    const { data } = await upload<Record<string, unknown>>("/api/v1/plates/read", form, { timeoutMs: 15_000 });
    const plate = data?.plate ? String(data.plate) : "";
    const conf = typeof data?.confidence === "number" ? data.confidence : null;
    const color = typeof data?.color === "string" ? data.color : null;
    const positions = Array.isArray(data?.unsure_positions) ? data.unsure_positions : [];
    const unsure = positions.filter((i): i is number => typeof i === "number");
    return plate && plate !== "null"
      ? { plate, confidence: conf, color, needsReview: data?.needs_review === true, unsure }
      : null;
  } catch (err) {
    if (err instanceof ApiError && [404, 405, 501].includes(err.status)) {
      sessionStorage.setItem(RECOGNIZER_OFF, "1");
    }
    return null;
  }
}

export const transport: QueueTransport = {
  createReport: (form) => api.createReport(form),
  confirmPlate: (id, plate, version) => api.confirmPlate(id, plate, version),
  createCase: (form) => api.createCase(form),
};
