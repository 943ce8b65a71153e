import { describe, expect, it } from "vitest";
import { defaultIndex, sliderAxes, withAxis } from "./slices";

describe("the slice state", () => {
  it("draws the last two axes and holds the others at 0", () => {
    expect(defaultIndex([5, 7, 64, 64])).toEqual([0, 0, null, null]);
    expect(defaultIndex([64, 64])).toEqual([null, null]);
  });

  it("has a slider per held axis, over its range", () => {
    expect(sliderAxes([3, null, 0, null], [5, 64, 9, 64])).toEqual([
      { axis: 0, at: 3, max: 4 },
      { axis: 2, at: 0, max: 8 },
    ]);
    expect(sliderAxes([null, null], [64, 64])).toEqual([]);
  });

  it("moves one axis, clamped to it, and leaves the drawn axes drawn", () => {
    expect(withAxis([0, 0, null, null], 1, 6, [5, 7, 64, 64])).toEqual([0, 6, null, null]);
    expect(withAxis([0, 0, null, null], 0, 99, [5, 7, 64, 64])).toEqual([4, 0, null, null]);
    expect(withAxis([2, null, null], 0, -3, [5, 64, 64])).toEqual([0, null, null]);
  });
});
