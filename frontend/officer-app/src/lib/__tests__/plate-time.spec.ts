import { describe, expect, it } from "vitest";
import { displayPlate, looksComplete, normalizePlate, plateGlyphs, provinceOf, splitPlate, unsureList } from "../plate";
import { formatCountdown, formatTime, secondsUntil } from "../time";

describe("plates", () => {
  it("normalises what officers type", () => {
    expect(normalizePlate("鲁ｐ·a1234 5")).toBe("鲁PA12345");
    expect(provinceOf("鲁PA12345")).toBe("鲁");
    expect(provinceOf("PA12345")).toBe("");
    expect(splitPlate("京A12345", "鲁")).toEqual(["京", "A12345"]);
    expect(splitPlate("a12345", "鲁")).toEqual(["鲁", "A12345"]);
  });

  it("checks completeness loosely and displays with a dot", () => {
    expect(looksComplete("鲁PA12345")).toBe(true);
    expect(looksComplete("鲁PD12345")).toBe(true);
    expect(looksComplete("鲁PD123456")).toBe(false);
    expect(looksComplete("鲁P1234")).toBe(false);
    expect(looksComplete("鲁")).toBe(false);
    expect(displayPlate("鲁PA12345")).toBe("鲁P·A12345");
  });

  it("marks the characters the recogniser was unsure of, around the dot", () => {
    const glyphs = plateGlyphs("京B12345", [3, 5]);
    expect(glyphs.map((g) => g.ch).join("")).toBe(displayPlate("京B12345"));
    expect(glyphs.filter((g) => g.unsure).map((g) => g.ch)).toEqual(["2", "4"]);
    expect(glyphs[2]).toEqual({ ch: "·", unsure: false, separator: true });
    expect(plateGlyphs("京B12345").some((g) => g.unsure)).toBe(false);
    expect(plateGlyphs("粤BD12345", [0]).filter((g) => g.unsure).map((g) => g.ch)).toEqual(["粤"]);
    expect(unsureList([5, 3, 3, 9, -1], 7)).toBe("4、6");
    expect(unsureList([], 7)).toBe("");
    expect(unsureList([6, 0], 7, ", ")).toBe("1, 7");
  });
});

describe("countdowns", () => {
  it("counts down to the deadline and never below zero", () => {
    const now = Date.parse("2026-11-29T10:00:00Z");
    expect(secondsUntil("2026-11-29T10:10:00Z", now)).toBe(600);
    expect(secondsUntil("2026-11-29T09:59:00Z", now)).toBe(0);
    expect(secondsUntil(null, now)).toBeNull();
    expect(secondsUntil("not a date", now)).toBeNull();
    expect(formatCountdown(600)).toBe("10:00");
    expect(formatCountdown(59)).toBe("00:59");
    expect(formatCountdown(3725)).toBe("1:02:05");
  });

  it("formats times for today and other days", () => {
    const now = new Date(2026, 10, 29, 12, 0);
    expect(formatTime(new Date(2026, 10, 29, 9, 5).toISOString(), now)).toBe("09:05");
    expect(formatTime(new Date(2026, 10, 28, 23, 59).toISOString(), now)).toBe("11-28 23:59");
    expect(formatTime("", now)).toBe("");
  });
});
