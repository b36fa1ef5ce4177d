import { describe, expect, it } from "vitest";
import { countdown, defaultFilters, exportUrl, filterQuery, minutes, percent } from "../format";
import { heatmapOption, hourlyOption } from "../charts";

describe("wall-screen formatting", () => {
  it("formats rates, minutes and countdowns", () => {
    expect(percent(0.3333)).toBe("33.3%");
    expect(percent(null)).toBe("—");
    expect(minutes(90)).toBe("1.5");
    expect(minutes(undefined)).toBe("—");
    expect(countdown(125)).toBe("02:05");
    expect(countdown(-3)).toBe("00:00");
  });

  it("defaults to the last seven days and builds the export URL from the filters", () => {
    const f = defaultFilters(new Date(2026, 10, 29));
    expect(f).toEqual({ dateFrom: "2026-11-23", dateTo: "2026-11-29", districtId: "", unitId: "" });
    expect(filterQuery(f)).toEqual({ date_from: "2026-11-23", date_to: "2026-11-29" });
    const url = exportUrl({ ...f, districtId: "d-1" });
    expect(url).toBe("/api/v1/stats/parking.xlsx?date_from=2026-11-23&date_to=2026-11-29&district_id=d-1");
  });
});

describe("chart options", () => {
  it("draws trends and the heatmap from the API's shapes", () => {
    const option = hourlyOption([{ label: "08", reports: 3, moved: 2, notices: 1 }], { reports: "上报", moved: "劝离", notices: "贴单" }) as {
      series: { name: string; data: number[] }[];
    };
    expect(option.series.map((s) => s.name)).toEqual(["上报", "劝离", "贴单"]);
    expect(option.series[0].data).toEqual([3]);
    const heat = heatmapOption({ streets: ["人民路"], cells: [[8, 0, 3]], max: 3 }) as {
      yAxis: { data: string[] };
      visualMap: { max: number };
      series: { data: number[][] }[];
    };
    expect(heat.yAxis.data).toEqual(["人民路"]);
    expect(heat.visualMap.max).toBe(3);
    expect(heat.series[0].data).toEqual([[8, 0, 3]]);
  });
});
