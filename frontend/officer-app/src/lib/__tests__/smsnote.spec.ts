import { describe, expect, it } from "vitest";
import { isDeferred, policyNote } from "../smsnote";

const NOW = Date.parse("2025-06-10T15:05:00Z"); // 23:05 Beijing time
const DEFERRED = "静默时段（22:00–07:00）：短信将于 07:00 发送（车主 138****1234），挪车时限 10分钟 自发送时起算";
const SKIPPED = "静默时段（22:00–07:00）：请直接张贴提示单（本辖区此时段不发短信）";

const report = (status: string, notified: string | null) => ({ status, owner_notified_at: notified });
const step = (action: string, reason: string) => ({ action, reason });

describe("policyNote", () => {
  it("shows the deferred send time while it lies ahead", () => {
    const r = report("awaiting_move", "2025-06-10T23:00:00Z");
    expect(isDeferred(r, NOW)).toBe(true);
    expect(policyNote(r, [step("report", "拍照上报"), step("notify_owner", DEFERRED)], NOW)).toBe(DEFERRED);
  });

  it("says nothing for an SMS that went out at once", () => {
    const r = report("awaiting_move", "2025-06-10T15:05:00Z");
    expect(isDeferred(r, NOW)).toBe(false);
    expect(policyNote(r, [step("notify_owner", "已向车主 138****1234 发送挪车短信，时限 10分钟")], NOW)).toBeNull();
  });

  it("shows why no SMS was sent", () => {
    const r = report("owner_unknown", null);
    expect(policyNote(r, [step("report", "拍照上报"), step("skip_owner_sms", SKIPPED)], NOW)).toBe(SKIPPED);
  });

  it("leaves an unknown owner to the app's own sentence", () => {
    const r = report("owner_unknown", null);
    expect(policyNote(r, [step("mark_owner_unknown", "车辆登记库中无此车牌，请直接张贴提示单")], NOW)).toBeNull();
    expect(policyNote(r, [], NOW)).toBeNull();
  });
});
