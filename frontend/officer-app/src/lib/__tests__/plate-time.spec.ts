import { describe, expect, it } from "vitest";
import { displayPlate, looksComplete, normalizePlate, provinceOf, splitPlate } from "../plate";
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
