// @vitest-environment node
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError, type Schemas } from "@smartduty/api-client";
import { resetDbForTests } from "../idb";
import * as queue from "../queue";

type CaseOut = Schemas["CaseOut"];

const caseItem = (id: string) => ({
  id,
  idempotencyKey: `case-${id}-0000`,
  photo: new Blob(["jpeg"], { type: "image/jpeg" }),
  photoName: "p.jpg",
  capturedAt: `2026-11-29T10:00:0${id}.000Z`,
  plate: "",
  plateRead: "",
  place: "解放路口",
  lat: 36.4512345678,
  lon: 115.98,
  accuracyM: 8,
  caseReport: { categoryCode: "E0401", categoryName: "占道经营", formData: '{"stall_count":2}', description: "两个摊位" },
});

describe("offline case reports", () => {
  beforeEach(async () => {
    await resetDbForTests();
  });

  it("sends not_duplicate only when the reporter chose 仍要上报", () => {
    expect(queue.caseForm(caseItem("1")).get("not_duplicate")).toBeNull();
    const anyway = caseItem("2");
    const form = queue.caseForm({ ...anyway, caseReport: { ...anyway.caseReport, notDuplicate: true } });
    expect(form.get("not_duplicate")).toBe("true");
  });

  it("builds the form of POST /api/v1/cases", () => {
    const form = queue.caseForm(caseItem("1"));
    expect(form.get("category_code")).toBe("E0401");
    expect(form.get("idempotency_key")).toBe("case-1-0000");
    expect(form.get("form_data")).toBe('{"stall_count":2}');
    expect(form.get("lat")).toBe("36.451235");
    expect(form.get("file")).not.toBeNull();
    expect(form.get("plate")).toBeNull();
    const noPhoto = queue.caseForm({ ...caseItem("2"), photo: new Blob([]) });
    expect(noPhoto.get("file")).toBeNull();
  });

  it("are sent with the case API once the signal returns, exactly once", async () => {
    const sent: string[] = [];
    let offline = true;
    const transport: queue.QueueTransport = {
      createReport: () => Promise.reject(new Error("not a parking report")),
      confirmPlate: () => Promise.reject(new Error("not a parking report")),
      async createCase(form) {
        if (offline) throw new ApiError(0, "network", "offline");
        sent.push(String(form.get("idempotency_key")));
        return { status: 201, data: { public_id: "c1", number: "AJ-1" } as unknown as CaseOut };
      },
    };
    await queue.enqueue(caseItem("1"));
    expect((await queue.flush(transport)).stoppedOffline).toBe(true);
    expect(await queue.list()).toHaveLength(1);
    offline = false;
    const result = await queue.flush(transport);
    expect(result.sentCases.map((c) => c.number)).toEqual(["AJ-1"]);
    expect(result.sent).toEqual([]);
    expect(sent).toEqual(["case-1-0000"]);
    expect(await queue.list()).toHaveLength(0);
  });
});
