/**
 * The offline outbox: reports made without signal are kept in IndexedDB with their photo and
 * capture time, survive closing the app, and are sent when the signal returns.
 *
 * Exactly once: every report carries an idempotency key made when the photo was taken; the
 * server answers a repeat with the first report (200), so a retry after a lost answer, two tabs
 * or a crash between "sent" and "deleted here" never make a second report or a second SMS.
 */
import { ApiError, type ReportOut, type Schemas } from "@smartduty/api-client";

type CaseOut = Schemas["CaseOut"];
import * as idb from "./idb";

export type QueueState = "pending" | "sending" | "failed";

export interface QueuedReport {
  id: string;
  idempotencyKey: string;
  photo: Blob;
  photoName: string;
  capturedAt: string;
  plate: string;
  plateRead: string;
  place: string;
  lat: number | null;
  lon: number | null;
  accuracyM: number | null;
  /** A case of another category (`POST /api/v1/cases`) instead of a parking report. */
  caseReport?: QueuedCase;
  state: QueueState;
  attempts: number;
  lastError: string;
  queuedAt: string;
}

/** The parts of a queued case report that a parking report does not have. */
export interface QueuedCase {
  categoryCode: string;
  categoryName: string;
  /** `form_data` as JSON text */
  formData: string;
  description: string;
  /** the reporter saw the open cases near by (已有人上报) and says this is another problem */
  notDuplicate?: boolean;
}

/** What the queue needs from the network (the real one in `api.ts`, fakes in tests). */
export interface QueueTransport {
  createReport(form: FormData): Promise<{ status: number; data: ReportOut }>;
  confirmPlate(id: string, plate: string, version: number): Promise<ReportOut>;
  /** `POST /api/v1/cases` (same idempotency rule as parking reports) */
  createCase?(form: FormData): Promise<{ status: number; data: CaseOut }>;
}

export function newId(): string {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}-${Math.random().toString(16).slice(2)}`;
}

/** Form fields of `POST /api/v1/parking-reports` for a queued (or fresh) report. */
export function reportForm(item: Pick<QueuedReport, "photo" | "photoName" | "idempotencyKey" | "plate" | "plateRead" | "place" | "lat" | "lon" | "accuracyM" | "capturedAt">): FormData {
  const form = new FormData();
  form.append("file", item.photo, item.photoName || "photo.jpg");
  form.append("idempotency_key", item.idempotencyKey);
  if (item.plate) form.append("plate", item.plate);
  if (item.plateRead) form.append("plate_read", item.plateRead);
  if (item.place) form.append("place", item.place);
  if (item.lat !== null && item.lon !== null) {
    form.append("lat", String(item.lat));
    form.append("lon", String(item.lon));
  }
  if (item.accuracyM !== null) form.append("accuracy_m", String(Math.round(item.accuracyM * 10) / 10));
  form.append("captured_at", item.capturedAt);
  return form;
}

/** Form fields of `POST /api/v1/cases` for a queued (or fresh) case report. */
export function caseForm(item: Pick<QueuedReport, "photo" | "photoName" | "idempotencyKey" | "place" | "lat" | "lon"> & { caseReport: QueuedCase }): FormData {
  const form = new FormData();
  if (item.photo.size > 0) form.append("file", item.photo, item.photoName || "photo.jpg");
  form.append("idempotency_key", item.idempotencyKey);
  form.append("category_code", item.caseReport.categoryCode);
  if (item.place) form.append("place", item.place);
  if (item.caseReport.description) form.append("description", item.caseReport.description);
  if (item.lat !== null && item.lon !== null) {
    form.append("lat", String(Math.round(item.lat * 1e6) / 1e6));
    form.append("lon", String(Math.round(item.lon * 1e6) / 1e6));
  }
  form.append("form_data", item.caseReport.formData || "{}");
  if (item.caseReport.notDuplicate) form.append("not_duplicate", "true");
  return form;
}

export async function enqueue(item: Omit<QueuedReport, "state" | "attempts" | "lastError" | "queuedAt">): Promise<QueuedReport> {
  const full: QueuedReport = { ...item, state: "pending", attempts: 0, lastError: "", queuedAt: new Date().toISOString() };
  await idb.put(idb.OUTBOX, full);
  return full;
}

export async function list(): Promise<QueuedReport[]> {
  const items = await idb.getAll<QueuedReport>(idb.OUTBOX);
  return items.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt));
}

export async function discard(id: string): Promise<void> {
  await idb.remove(idb.OUTBOX, id);
}

export interface FlushResult {
  sent: ReportOut[];
  /** queued case reports that reached the server */
  sentCases: CaseOut[];
  failed: number;
  stoppedOffline: boolean;
}

let flushing: Promise<FlushResult> | null = null;

/**
 * Sends every pending report, oldest first. Stops at the first network failure (no signal
 * yet); a report the server refuses (422…) is kept as `failed` with the server's message.
 * Only one flush runs at a time in this page, and (where the browser has Web Locks) across tabs.
 */
export function flush(transport: QueueTransport): Promise<FlushResult> {
  if (flushing) return flushing;
  const run = async (): Promise<FlushResult> => {
    const result: FlushResult = { sent: [], sentCases: [], failed: 0, stoppedOffline: false };
    for (const item of await list()) {
      if (item.state === "failed") {
        result.failed += 1;
        continue;
      }
      await idb.put(idb.OUTBOX, { ...item, state: "sending", attempts: item.attempts + 1 });
      try {
        if (item.caseReport) {
          if (!transport.createCase) throw new ApiError(0, "network", "案件上报暂不可用");
          const { data } = await transport.createCase(caseForm({ ...item, caseReport: item.caseReport }));
          await idb.remove(idb.OUTBOX, item.id);
          result.sentCases.push(data);
          continue;
        }
        let { data: report } = await transport.createReport(reportForm(item));
        if (report.status === "reported" && item.plate) {
          report = await transport.confirmPlate(report.public_id, item.plate, report.version);
        }
        await idb.remove(idb.OUTBOX, item.id);
        result.sent.push(report);
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError(0, "network", String(err));
        if (error.isNetwork || error.status === 401 || error.status >= 500) {
          await idb.put(idb.OUTBOX, { ...item, state: "pending", attempts: item.attempts + 1, lastError: error.message });
          result.stoppedOffline = true;
          break;
        }
        await idb.put(idb.OUTBOX, { ...item, state: "failed", attempts: item.attempts + 1, lastError: error.message });
        result.failed += 1;
      }
    }
    return result;
  };
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const guarded = locks ? (locks.request("smartduty-outbox", run) as unknown as Promise<FlushResult>) : run();
  flushing = guarded.finally(() => {
    flushing = null;
  });
  return flushing;
}
