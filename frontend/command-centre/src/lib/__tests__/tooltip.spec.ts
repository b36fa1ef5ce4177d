import { describe, expect, it } from "vitest";
import * as L from "leaflet";
import { pointTooltip } from "../tooltip";

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
});
