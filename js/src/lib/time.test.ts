import { describe, expect, it } from "vitest";
import { clockTime, formatDuration, liveSeconds, shortDateTime } from "./time";

describe("live seconds", () => {
  it("counts on from the kernel's measure while live", () => {
    expect(liveSeconds(30, 1_000_000, true, 1_012_500)).toBe(42.5);
  });

  it("stays put when not live, or when there is no time of measure", () => {
    expect(liveSeconds(30, 1_000_000, false, 1_012_500)).toBe(30);
    expect(liveSeconds(30, undefined, true, 1_012_500)).toBe(30);
  });

  it("never goes backwards when the browser's clock is behind the kernel's", () => {
    expect(liveSeconds(30, 1_000_000, true, 990_000)).toBe(30);
  });

  it("is null when nothing was measured", () => {
    expect(liveSeconds(null, 1_000_000, true)).toBeNull();
  });
});

describe("durations and times", () => {
  it("reads as people write durations", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(72)).toBe("1m 12s");
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe("3h 05m");
    expect(formatDuration(2 * 86400 + 3600)).toBe("2d 01h");
    expect(formatDuration(null)).toBe("—");
  });

  it("shows the facility's wall clock as given", () => {
    expect(clockTime("2026-05-02T18:10:51+00:00")).toBe("18:10:51");
    expect(shortDateTime("2026-05-02T18:10:51")).toBe("May 2, 18:10:51");
  });
});
