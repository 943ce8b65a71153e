// The file list's pure logic: sorting and filtering a listing, the rows in sight (virtual
// scrolling) and what a click, a ctrl-click or a shift-click selects.

import type { Row } from "./protocol";

export type SortKey = "name" | "size" | "date";

export const join = (dir: string, name: string) => (dir.endsWith("/") ? dir + name : `${dir}/${name}`);

/** The parent of `path` ("/" at the top). */
export const parentOf = (path: string) => path.replace(/\/[^/]*\/?$/, "") || "/";

/** The rows whose name contains `needle` (any case), folders first as in JupyterLab, then by
 *  `key` in direction `dir` (1 or -1), ties by name. */
export function sortRows(rows: Row[], key: SortKey, dir: number, needle = ""): Row[] {
  const wanted = needle.trim().toLowerCase();
  const shown = wanted ? rows.filter((r) => r[0].toLowerCase().includes(wanted)) : rows.slice();
  const value = (r: Row): number | string => (key === "size" ? r[2] : key === "date" ? r[3] : r[0].toLowerCase());
  return shown.sort((a, b) => {
    const dirs = Number(b[1] === "d") - Number(a[1] === "d");
    if (dirs) return dirs;
    const va = value(a);
    const vb = value(b);
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir || a[0].localeCompare(b[0]);
  });
}

/** The first and one-past-last index of the rows to draw for a scroll position: those in sight
 *  plus `overscan` rows each side. */
export function visibleRange(
  scrollTop: number,
  height: number,
  count: number,
  rowHeight: number,
  overscan: number,
): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { start, end };
}

export interface Modifiers {
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/**
 * The selection after a click on row `i` of `paths` (the paths in view order): shift selects
 * from the anchor (the last plain or ctrl click) to `i`, ctrl/cmd toggles `i`, a plain click
 * selects `i` alone. Returns the new selection and anchor.
 */
export function clickSelect(
  selected: ReadonlySet<string>,
  paths: readonly string[],
  i: number,
  anchor: number,
  mods: Modifiers,
): { selected: Set<string>; anchor: number } {
  const path = paths[i];
  if (mods.shiftKey && anchor >= 0) {
    const range = paths.slice(Math.min(anchor, i), Math.max(anchor, i) + 1);
    return { selected: new Set(range), anchor };
  }
  if (mods.ctrlKey || mods.metaKey) {
    const next = new Set(selected);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    return { selected: next, anchor: i };
  }
  return { selected: new Set([path]), anchor: i };
}
