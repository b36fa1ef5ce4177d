import { describe, expect, it } from "vitest";
import * as L from "leaflet";
import { caseTooltip, gridTooltip, pointTooltip } from "../tooltip";

const EVIL = '<img src=x onerror="window.__pwned=1">';

describe("map tooltips", () => {
  it("shows an HTML-looking place as text, never as markup", () => {
    const el = pointTooltip({ plate: "鲁P12345", status_label: "待挪车", place: EVIL });
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain(EVIL);
    expect(el.textContent).toContain("鲁P12345 · 待挪车");
  });

  it("stays text once Leaflet has put the tooltip on the map", () => {
    const box = document.createElement("div");
    box.style.width = "400px";
    box.style.height = "300px";
    document.body.appendChild(box);
    const map = L.map(box).setView([36.45, 115.98], 13);
    const marker = L.circleMarker([36.45, 115.98])
      .bindTooltip(pointTooltip({ plate: "", status_label: "已劝离", place: EVIL }), { permanent: true })
      .addTo(map);
    marker.openTooltip();
    const shown = box.querySelector(".leaflet-tooltip");
    expect(shown).not.toBeNull();
    expect(shown?.querySelector("img")).toBeNull();
    expect(shown?.textContent).toContain(EVIL);
    expect(shown?.textContent).toContain("— · 已劝离");
    // what a string tooltip (the old code) does with the same place: it becomes an <img>
    const asString = L.circleMarker([36.45, 115.98]).bindTooltip(`— · 已劝离<br>${EVIL}`, { permanent: true }).addTo(map);
    asString.openTooltip();
    expect(box.querySelectorAll(".leaflet-tooltip img")).toHaveLength(1);
    map.remove();
    box.remove();
  });

  it("shows a grid's name and a case's place as text", () => {
    const grid = gridTooltip({ code: "990001001001001", name: EVIL });
    expect(grid.querySelector("img")).toBeNull();
    expect(grid.textContent).toBe(`990001001001001${EVIL}`);
    const kase = caseTooltip({ number: "AJ-990001-20260302-0001", category_name: "占道经营", place: EVIL, status_label: "已派遣" });
    expect(kase.querySelector("img")).toBeNull();
    expect(kase.firstChild?.textContent).toBe("AJ-990001-20260302-0001 · 占道经营 · 已派遣");
    expect(kase.lastChild?.textContent).toBe(EVIL);
    expect(caseTooltip({ number: "AJ-1", category_name: "店外经营", place: "" }).children).toHaveLength(1);
  });
});
