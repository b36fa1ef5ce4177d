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

function lines(doc: Document, className: string, texts: readonly string[]): HTMLElement {
  const box = doc.createElement("div");
  box.className = className;
  for (const text of texts) {
    if (!text) continue;
    const line = doc.createElement("div");
    line.textContent = text;
    box.appendChild(line);
  }
  return box;
}

/** A 单元网格's tooltip: its 15-digit code and its name (typed by whoever imported the layer). */
export function gridTooltip(p: { code: string; name: string }, doc: Document = document): HTMLElement {
  return lines(doc, "grid-tooltip", [p.code, p.name]);
}

/** An open case's tooltip: number · category, and the place the reporter typed. */
export function caseTooltip(
  c: { number: string; category_name: string; place: string; status_label?: string },
  doc: Document = document,
): HTMLElement {
  const head = c.status_label ? `${c.number} · ${c.category_name} · ${c.status_label}` : `${c.number} · ${c.category_name}`;
  return lines(doc, "case-tooltip", [head, c.place]);
}
