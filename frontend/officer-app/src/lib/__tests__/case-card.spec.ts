import { describe, expect, it } from "vitest";
import { mount, RouterLinkStub } from "@vue/test-utils";
import { i18n } from "../../i18n";
import CaseCard from "../../components/CaseCard.vue";
import type { Report } from "../../api";

const base = {
  public_id: "11111111-1111-1111-1111-111111111111",
  plate: "鲁PA12345",
  place: "人民路88号",
  district: "东区",
  created_at: "2026-11-29T10:00:00Z",
  status_label: "待挪车",
} as const;

function card(status: string, deadline: string | null, now: number) {
  return mount(CaseCard, {
    props: { report: { ...base, status, deadline_at: deadline } as unknown as Report, now },
    global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub, "van-tag": true, "van-icon": true } },
  });
}

describe("case card", () => {
  it("shows a live countdown while the owner may still move the car", () => {
    const w = card("awaiting_move", "2026-11-29T10:10:00Z", Date.parse("2026-11-29T10:05:30Z"));
    expect(w.get("[data-testid=countdown]").text()).toContain("04:30");
    expect(w.find("[data-testid=recheck-due]").exists()).toBe(false);
    expect(w.text()).toContain("鲁P·A12345");
  });

  it("asks for the re-check at the deadline", () => {
    const w = card("awaiting_move", "2026-11-29T10:10:00Z", Date.parse("2026-11-29T10:10:01Z"));
    expect(w.find("[data-testid=countdown]").exists()).toBe(false);
    expect(w.get("[data-testid=recheck-due]").text()).toContain("请复查");
    const due = card("awaiting_recheck", null, Date.now());
    expect(due.classes()).toContain("due");
  });
});
