/**
 * Map tooltips built from text nodes. Leaflet's `bindTooltip(string)` renders the string as
 * HTML, so a `place` typed by an officer (`<img src=x onerror=…>`) would become markup: every
 * piece of user text goes in through `textContent` and shows as typed.
 */
export interface TooltipPoint {
  plate: string | null;
  status_label: string;
  place: string;
}

export function pointTooltip(p: TooltipPoint, doc: Document = document): HTMLElement {
  const box = doc.createElement("div");
  box.className = "point-tooltip";
  const head = doc.createElement("div");
  head.textContent = `${p.plate || "—"} · ${p.status_label}`;
  box.appendChild(head);
  if (p.place) {
    const place = doc.createElement("div");
    place.textContent = p.place;
    box.appendChild(place);
  }
  return box;
}
