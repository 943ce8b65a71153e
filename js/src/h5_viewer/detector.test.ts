import { describe, expect, it } from "vitest";
import { describe as describeDetector, drag, grip, radii, switchKind, toPattern } from "./detector";
import type { Detector } from "./protocol";

const disc: Detector = { kind: "bf", row: 128, col: 120, radius: 12 };
const ring: Detector = { kind: "adf", row: 128, col: 120, inner: 30, outer: 60 };
const shape = [256, 256];

describe("the detector's maths", () => {
  it("maps a point of the drawn image to the full pattern's pixels, whatever the drawn size", () => {
    // The middle of pixel (64, 128) is half a pixel into it.
    expect(toPattern(128.5 * (300 / 256), 64.5 * (300 / 256), { width: 300, height: 300 }, shape)).toEqual({
      row: 64,
      col: 128,
    });
    expect(toPattern(150, 75, { width: 600, height: 600 }, [512, 512])).toEqual({ row: 63.5, col: 127.5 });
    // Outside the image (a drag past its edge): the pattern's edge.
    expect(toPattern(-20, 900, { width: 300, height: 300 }, shape)).toEqual({ row: 255, col: 0 });
  });

  it("grabs an edge near it, else the centre", () => {
    expect(grip(disc, { row: 128, col: 133 }, 2)).toBe("radius");
    expect(grip(disc, { row: 130, col: 121 }, 2)).toBe("centre");
    expect(grip(ring, { row: 128, col: 151 }, 2)).toBe("inner");
    expect(grip(ring, { row: 187, col: 120 }, 2)).toBe("outer");
    expect(grip(ring, { row: 128, col: 165 }, 2)).toBe("centre");
  });

  it("moves the centre by the drag, kept inside the pattern", () => {
    expect(drag(disc, "centre", { row: 0, col: 0 }, { row: 10.04, col: -20 }, shape)).toEqual({
      ...disc,
      row: 138,
      col: 100,
    });
    expect(drag(disc, "centre", { row: 0, col: 0 }, { row: 500, col: -500 }, shape)).toEqual({
      ...disc,
      row: 255,
      col: 0,
    });
  });

  it("resizes an edge to the pointer's distance, never below 1 px nor inner past outer", () => {
    expect(drag(disc, "radius", { row: 0, col: 0 }, { row: 128, col: 140 }, shape)).toEqual({ ...disc, radius: 20 });
    expect(drag(disc, "radius", { row: 0, col: 0 }, { row: 128, col: 120 }, shape)).toEqual({ ...disc, radius: 1 });
    expect(drag(ring, "inner", { row: 0, col: 0 }, { row: 128, col: 200 }, shape)).toEqual({ ...ring, inner: 59 });
    expect(drag(ring, "outer", { row: 0, col: 0 }, { row: 128, col: 130 }, shape)).toEqual({ ...ring, outer: 31 });
    expect(drag(ring, "outer", { row: 0, col: 0 }, { row: 208, col: 120 }, shape)).toEqual({ ...ring, outer: 80 });
  });

  it("switches between a disc and the ring around it, and says what it is", () => {
    expect(switchKind(disc)).toEqual({ kind: "adf", row: 128, col: 120, inner: 18, outer: 36 });
    expect(switchKind(ring)).toEqual({ kind: "bf", row: 128, col: 120, radius: 30 });
    expect(radii(ring)).toEqual([30, 60]);
    expect(describeDetector(disc)).toBe("bright field: disc at (128, 120), radius 12 px");
    expect(describeDetector(ring)).toBe("annular dark field: ring at (128, 120), 30–60 px");
  });
});
