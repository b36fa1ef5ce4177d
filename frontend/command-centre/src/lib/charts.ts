/** ECharts options of the command centre (pure functions: unit-tested, no DOM). */
import type { EChartsCoreOption } from "echarts/core";

export const FONT_STACK = '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
const AXIS = { axisLine: { lineStyle: { color: "#35598f" } }, axisLabel: { color: "#9cc3f5" }, splitLine: { lineStyle: { color: "rgba(64,158,255,.12)" } } };

interface Point {
  label: string;
  reports: number;
  moved: number;
  notices: number;
}

interface Labels {
  reports: string;
  moved: string;
  notices: string;
}

function base(): EChartsCoreOption {
  return {
    textStyle: { fontFamily: FONT_STACK, color: "#cfe0fb" },
    grid: { left: 36, right: 12, top: 30, bottom: 24 },
    tooltip: { trigger: "axis" },
    legend: { top: 0, right: 0, textStyle: { color: "#cfe0fb", fontFamily: FONT_STACK } },
    animation: false,
  };
}

export function hourlyOption(points: Point[], labels: Labels): EChartsCoreOption {
  return {
    ...base(),
    xAxis: { type: "category", data: points.map((p) => p.label), ...AXIS },
    yAxis: { type: "value", minInterval: 1, ...AXIS },
    series: [
      { name: labels.reports, type: "bar", data: points.map((p) => p.reports), itemStyle: { color: "#3b82f6" }, barMaxWidth: 14 },
      { name: labels.moved, type: "line", smooth: true, data: points.map((p) => p.moved), itemStyle: { color: "#4ade80" } },
      { name: labels.notices, type: "line", smooth: true, data: points.map((p) => p.notices), itemStyle: { color: "#f87171" } },
    ],
  };
}

export function dailyOption(points: Point[], labels: Labels): EChartsCoreOption {
  return {
    ...base(),
    xAxis: { type: "category", data: points.map((p) => p.label.slice(5)), ...AXIS },
    yAxis: { type: "value", minInterval: 1, ...AXIS },
    series: [
      { name: labels.reports, type: "line", areaStyle: { opacity: 0.15 }, data: points.map((p) => p.reports), itemStyle: { color: "#60a5fa" } },
      { name: labels.moved, type: "line", data: points.map((p) => p.moved), itemStyle: { color: "#4ade80" } },
      { name: labels.notices, type: "line", data: points.map((p) => p.notices), itemStyle: { color: "#f87171" } },
    ],
  };
}

export function heatmapOption(heat: { streets: string[]; cells: number[][]; max: number }): EChartsCoreOption {
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
  return {
    textStyle: { fontFamily: FONT_STACK, color: "#cfe0fb" },
    animation: false,
    tooltip: { position: "top" },
    grid: { left: 84, right: 14, top: 8, bottom: 44, backgroundColor: "rgba(11,37,80,.35)", show: true, borderColor: "transparent" },
    xAxis: { type: "category", data: hours, ...AXIS },
    yAxis: { type: "category", data: heat.streets, ...AXIS },
    visualMap: {
      min: 0,
      max: Math.max(1, heat.max),
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      itemHeight: 120,
      textStyle: { color: "#9cc3f5" },
      inRange: { color: ["#0b2550", "#1e64c8", "#f59e0b", "#ef4444"] },
    },
    series: [{ type: "heatmap", data: heat.cells.map(([h, s, c]) => [h, s, c]), label: { show: true, color: "#fff", fontSize: 11 }, itemStyle: { borderColor: "#07142b", borderWidth: 1 } }],
  };
}
