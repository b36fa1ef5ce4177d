import { describe, expect, it } from "vitest";
import { caseKpiExportUrl } from "../../api";
import { pct, rateGrade } from "../kpi";

describe("KPI table", () => {
  it("grades 结案率 like the Excel export: ≥ 90 green, ≥ 80 yellow, else red", () => {
    expect(rateGrade(95)).toBe("good");
    expect(rateGrade(90)).toBe("good");
    expect(rateGrade(89.99)).toBe("fair");
    expect(rateGrade(80)).toBe("fair");
    expect(rateGrade(79.9)).toBe("poor");
    expect(rateGrade(null)).toBe("none");
    expect(pct(93.456)).toBe("93.5%");
    expect(pct(null)).toBe("—");
  });

  it("exports the same period, grouping and district", () => {
    const url = caseKpiExportUrl({ groupBy: "category", dateFrom: "2026-03-01", dateTo: "2026-03-31", districtId: "abc" });
    expect(url).toBe("/api/v1/stats/cases.xlsx?group_by=category&date_from=2026-03-01&date_to=2026-03-31&district_id=abc");
  });
});
