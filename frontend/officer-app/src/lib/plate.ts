/** Plate helpers for the input (GA 36-2018 plates; the server has the final word). */

export const PROVINCES = [
  "京", "津", "冀", "晋", "蒙", "辽", "吉", "黑", "沪", "苏", "浙", "皖", "闽", "赣", "鲁", "豫",
  "鄂", "湘", "粤", "桂", "琼", "渝", "川", "贵", "云", "藏", "陕", "甘", "青", "宁", "新",
] as const;

const FULL_WIDTH = /[\uFF01-\uFF5E]/g;

/** Upper-case, half-width, no spaces or dots: `鲁ｐ·a1234 5` → `鲁PA12345`. */
export function normalizePlate(raw: string): string {
  return raw
    .replace(FULL_WIDTH, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
    .replace(/[\s·.\-_]/g, "")
    .toUpperCase();
}

/** The province character a plate starts with, if any. */
export function provinceOf(plate: string): string {
  const first = plate.charAt(0);
  return (PROVINCES as readonly string[]).includes(first) ? first : "";
}

/** Splits a plate into province and the rest (for the input with a province picker). */
export function splitPlate(plate: string, fallbackProvince: string): [string, string] {
  const p = normalizePlate(plate);
  const province = provinceOf(p);
  return province ? [province, p.slice(1)] : [fallbackProvince, p];
}

/** Loose client-side check: province + letter + 5 or 6 letters/digits (new energy). */
export function looksComplete(plate: string): boolean {
  return /^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$/.test(normalizePlate(plate));
}

/** `鲁PA12345` → `鲁P·A12345` for display. */
export function displayPlate(plate: string): string {
  const p = normalizePlate(plate);
  return p.length > 2 ? `${p.slice(0, 2)}·${p.slice(2)}` : p;
}

/** One character of a displayed plate: the separator dot, or a plate character and whether the
 * recogniser was unsure of it. */
export interface PlateGlyph {
  ch: string;
  unsure: boolean;
  separator: boolean;
}

/**
 * `displayPlate` split into glyphs, marking the characters at `unsure` (0-based positions in
 * the normalised plate, as `unsure_positions` of `POST /plates/read`) so the officer checks them.
 */
export function plateGlyphs(plate: string, unsure: readonly number[] = []): PlateGlyph[] {
  const p = normalizePlate(plate);
  const marked = new Set(unsure);
  const glyphs: PlateGlyph[] = [];
  Array.from(p).forEach((ch, i) => {
    if (i === 2) glyphs.push({ ch: "·", unsure: false, separator: true });
    glyphs.push({ ch, unsure: marked.has(i), separator: false });
  });
  return glyphs;
}

/** 1-based positions for the officer ("4、6"), in plate order, without repeats. */
export function unsureList(unsure: readonly number[], length: number, separator = "、"): string {
  return [...new Set(unsure)]
    .filter((i) => Number.isInteger(i) && i >= 0 && i < length)
    .sort((a, b) => a - b)
    .map((i) => String(i + 1))
    .join(separator);
}
