// @vitest-environment node
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError, type ReportOut } from "@smartduty/api-client";
import { resetDbForTests } from "../idb";
import * as queue from "../queue";

function report(status: string, version = 1): ReportOut {
  return { public_id: "r1", status, version, plate: "鲁PA12345" } as unknown as ReportOut;
}

function item(id: string, extra: Partial<queue.QueuedReport> = {}) {
  return {
    id,
    idempotencyKey: `key-${id}-0000`,
    photo: new Blob(["jpeg"], { type: "image/jpeg" }),
    photoName: "p.jpg",
    capturedAt: `2026-11-29T10:00:0${id}.000Z`,
    plate: "鲁PA12345",
    plateRead: "",
    place: "人民路",
    lat: 36.45,
    lon: 115.98,
    accuracyM: 12.34,
    ...extra,
  };
}

/** A fake server: idempotency keys are honoured, as the real API does. */
function fakeServer() {
  const created = new Map<string, ReportOut>();
  const calls: string[] = [];
  let offline = false;
  const transport: queue.QueueTransport = {
    async createReport(form) {
      if (offline) throw new ApiError(0, "network", "offline");
      const key = String(form.get("idempotency_key"));
      calls.push(`create:${key}`);
      const seen = created.get(key);
      if (seen) return { status: 200, data: seen };
      const r = report(form.get("plate") ? "awaiting_move" : "reported");
      created.set(key, r);
      return { status: 201, data: r };
    },
    async confirmPlate(id, plate, version) {
      calls.push(`plate:${id}:${plate}:${version}`);
      return report("awaiting_move", version + 1);
    },
  };
  return { transport, created, calls, setOffline: (v: boolean) => (offline = v) };
}

beforeEach(async () => {
  await resetDbForTests();
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase("smartduty-officer");
    req.onsuccess = () => resolve();
    req.onerror = () => resolve();
    req.onblocked = () => resolve();
  });
});

describe("offline queue", () => {
  it("keeps reports with their photo and capture time until sent", async () => {
    await queue.enqueue(item("1"));
    const [kept] = await queue.list();
    expect(kept.state).toBe("pending");
    expect(kept.capturedAt).toBe("2026-11-29T10:00:01.000Z");
    expect(kept.photo).toBeTruthy();
  });

  it("stops at the first network failure and sends later, exactly once", async () => {
    const server = fakeServer();
    await queue.enqueue(item("1"));
    await queue.enqueue(item("2"));
    server.setOffline(true);
    const offline = await queue.flush(server.transport);
    expect(offline.stoppedOffline).toBe(true);
    expect(await queue.list()).toHaveLength(2);
    expect((await queue.list())[0].attempts).toBe(1);

    server.setOffline(false);
    const [a, b] = await Promise.all([queue.flush(server.transport), queue.flush(server.transport)]);
    expect(a).toBe(b); // one flush at a time
    expect(a.sent).toHaveLength(2);
    expect(await queue.list()).toHaveLength(0);
    expect(server.created.size).toBe(2);
    expect(await queue.flush(server.transport)).toEqual({ sent: [], sentCases: [], failed: 0, stoppedOffline: false });
  });

  it("confirms the plate when the server already had the report without one", async () => {
    const server = fakeServer();
    server.created.set("key-1-0000", report("reported", 3));
    await queue.enqueue(item("1"));
    const result = await queue.flush(server.transport);
    expect(server.calls).toEqual(["create:key-1-0000", "plate:r1:鲁PA12345:3"]);
    expect(result.sent[0].status).toBe("awaiting_move");
  });

  it("keeps a refused report as failed with the server's message", async () => {
    const transport: queue.QueueTransport = {
      createReport: async () => {
        throw new ApiError(422, "validation_failed", "车牌号格式不正确");
      },
      confirmPlate: async () => report("awaiting_move"),
    };
    await queue.enqueue(item("1"));
    const result = await queue.flush(transport);
    expect(result.failed).toBe(1);
    const [kept] = await queue.list();
    expect(kept.state).toBe("failed");
    expect(kept.lastError).toBe("车牌号格式不正确");
    await queue.discard(kept.id);
    expect(await queue.list()).toHaveLength(0);
  });

  it("builds the API form with the idempotency key, GPS and capture time", () => {
    const form = queue.reportForm(item("1"));
    expect(form.get("idempotency_key")).toBe("key-1-0000");
    expect(form.get("plate")).toBe("鲁PA12345");
    expect(form.get("lat")).toBe("36.45");
    expect(form.get("accuracy_m")).toBe("12.3");
    expect(form.get("captured_at")).toBe("2026-11-29T10:00:01.000Z");
    expect(form.get("plate_read")).toBeNull();
    expect(form.get("file")).toBeInstanceOf(Blob);
  });
});
