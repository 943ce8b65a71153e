import { describe, expect, it } from "vitest";
import { clickSelect, join, parentOf, sortRows, visibleRange } from "./listing";
import type { Row } from "./protocol";

const row = (name: string, kind: string, size = 0, date = "2026-05-01T00:00:00"): Row => [
  name,
  kind,
  size,
  date,
  "-rw-r--r--",
  "elvis",
  "elvis",
  "",
];
const rows = [
  row("b.txt", "f", 300, "2026-05-03T00:00:00"),
  row("Zeta", "d"),
  row("a.txt", "f", 1000, "2026-05-01T00:00:00"),
  row("alpha", "d"),
  row("c.log", "f", 20, "2026-05-02T00:00:00"),
];
const names = (list: Row[]) => list.map((r) => r[0]);
const none = { shiftKey: false, ctrlKey: false, metaKey: false };

describe("file browser sort", () => {
  it("lists folders first, then by name without regard to case", () => {
    expect(names(sortRows(rows, "name", 1))).toEqual(["alpha", "Zeta", "a.txt", "b.txt", "c.log"]);
    expect(names(sortRows(rows, "name", -1))).toEqual(["Zeta", "alpha", "c.log", "b.txt", "a.txt"]);
  });

  it("sorts files by size or date, folders still first", () => {
    expect(names(sortRows(rows, "size", -1))).toEqual(["alpha", "Zeta", "a.txt", "b.txt", "c.log"]);
    expect(names(sortRows(rows, "date", -1)).slice(2)).toEqual(["b.txt", "c.log", "a.txt"]);
  });

  it("filters by a part of the name, in any case, and leaves the listing as it was", () => {
    const before = names(rows);
    expect(names(sortRows(rows, "name", 1, " TXT "))).toEqual(["a.txt", "b.txt"]);
    expect(names(rows)).toEqual(before);
  });
});

describe("file browser selection", () => {
  const paths = ["/h/a", "/h/b", "/h/c", "/h/d", "/h/e"];

  it("selects one row on a plain click, and it becomes the anchor", () => {
    const next = clickSelect(new Set(["/h/a", "/h/b"]), paths, 2, 0, none);
    expect([...next.selected]).toEqual(["/h/c"]);
    expect(next.anchor).toBe(2);
  });

  it("selects the range from the anchor on shift-click, either way, keeping the anchor", () => {
    expect([...clickSelect(new Set(), paths, 3, 1, { ...none, shiftKey: true }).selected]).toEqual([
      "/h/b",
      "/h/c",
      "/h/d",
    ]);
    const back = clickSelect(new Set(["/h/e"]), paths, 0, 2, { ...none, shiftKey: true });
    expect([...back.selected]).toEqual(["/h/a", "/h/b", "/h/c"]);
    expect(back.anchor).toBe(2);
  });

  it("toggles a row on ctrl- or cmd-click, keeping the rest", () => {
    const on = clickSelect(new Set(["/h/a"]), paths, 3, 0, { ...none, ctrlKey: true });
    expect([...on.selected].sort()).toEqual(["/h/a", "/h/d"]);
    const off = clickSelect(on.selected, paths, 0, 3, { ...none, metaKey: true });
    expect([...off.selected]).toEqual(["/h/d"]);
  });

  it("treats shift-click with no anchor as a plain click", () => {
    expect([...clickSelect(new Set(), paths, 4, -1, { ...none, shiftKey: true }).selected]).toEqual(["/h/e"]);
  });
});

describe("virtual scrolling", () => {
  it("draws the rows in sight plus a margin each side", () => {
    expect(visibleRange(0, 364, 10_000, 26, 8)).toEqual({ start: 0, end: 22 });
    expect(visibleRange(26 * 1000, 364, 10_000, 26, 8)).toEqual({ start: 992, end: 1022 });
  });

  it("stops at the end of the listing", () => {
    expect(visibleRange(26 * 9990, 364, 10_000, 26, 8)).toEqual({ start: 9982, end: 10_000 });
    expect(visibleRange(0, 364, 3, 26, 8)).toEqual({ start: 0, end: 3 });
  });
});

describe("paths", () => {
  it("joins and goes up as a shell would", () => {
    expect(join("/home/elvis", "a.txt")).toBe("/home/elvis/a.txt");
    expect(join("/", "tmp")).toBe("/tmp");
    expect(parentOf("/home/elvis")).toBe("/home");
    expect(parentOf("/home")).toBe("/");
  });
});
