import { describe, expect, it } from "vitest";
import { fitWithin, photoForReading } from "../shrink";

describe("the copy for plate reading", () => {
  it("fits the longer side within the limit, keeping the aspect, never enlarging", () => {
    expect(fitWithin(4000, 3000, 2048)).toEqual({ width: 2048, height: 1536, scaled: true });
    expect(fitWithin(3024, 4032, 2048)).toEqual({ width: 1536, height: 2048, scaled: true });
    expect(fitWithin(1280, 960, 2048)).toEqual({ width: 1280, height: 960, scaled: false });
    expect(fitWithin(2048, 100, 2048).scaled).toBe(false);
    expect(fitWithin(9000, 10, 2048)).toEqual({ width: 2048, height: 2, scaled: true });
  });

  it("sends the original when the browser cannot decode the photo", async () => {
    const file = new Blob([new Uint8Array([1, 2, 3])], { type: "image/heic" });
    // jsdom has no image decoder: createImageBitmap is missing, or it throws
    expect(await photoForReading(file)).toBe(file);
    const original = globalThis.createImageBitmap;
    globalThis.createImageBitmap = (() => Promise.reject(new Error("cannot decode"))) as typeof createImageBitmap;
    try {
      expect(await photoForReading(file)).toBe(file);
    } finally {
      globalThis.createImageBitmap = original;
    }
  });
});
