// The FileBrowser's list: sortable columns over a virtually scrolled window of rows (only the
// rows in sight are in the DOM) and a status line; click, ctrl-click, shift-click and the
// arrow keys select, double-click or Enter opens a folder.

import { frameScheduler, h, setAttr, setText } from "../lib/dom";
import { humanBytes } from "../lib/format";
import { shortDateTime } from "../lib/time";
import { clickSelect, type Modifiers, type SortKey, sortRows, visibleRange } from "./listing";
import { ICONS, OVERSCAN, ROW_HEIGHT } from "./look";
import type { Browser } from "./state";

const LABELS: Record<SortKey, string> = { name: "Name", size: "Size", date: "Modified" };

export interface List {
  el: HTMLElement;
  scroller: HTMLElement;
  /** Sort and filter again (a new listing, a new filter or sort order), then repaint. */
  rebuild: () => void;
  /** Repaint the rows in sight at the next frame. */
  schedule: () => void;
}

/** `filter` is the toolbar's name filter; `onUp` goes to the parent (Backspace); `afterPaint`
 *  repaints what depends on the selection (the toolbar's Download button). */
export function list(b: Browser, filter: HTMLInputElement, onUp: () => void, afterPaint: () => void): List {
  const sortButtons = new Map<SortKey, HTMLButtonElement>();
  const sortButton = (key: SortKey, numeric = false) => {
    const button = h("button", {
      type: "button",
      text: LABELS[key],
      "data-testid": `fb-sort-${key}`,
      "data-num": numeric || undefined,
    });
    button.addEventListener("click", () => {
      b.sortDir = b.sortKey === key ? -b.sortDir : key === "name" ? 1 : -1;
      b.sortKey = key;
      rebuild();
    });
    sortButtons.set(key, button);
    return button;
  };
  const cols = h(
    "div",
    { class: "sfj-fb__cols", role: "row" },
    h("span"),
    sortButton("name"),
    sortButton("size", true),
    sortButton("date"),
  );
  const windowEl = h("div", { class: "sfj-fb__window", role: "presentation" });
  const spacer = h("div", { role: "presentation" });
  const scroller = h(
    "div",
    {
      class: "sfj-fb__scroller",
      tabindex: 0,
      role: "listbox",
      "aria-multiselectable": "true",
      "data-testid": "fb-rows",
    },
    spacer,
    windowEl,
  );
  const countEl = h("span", { "data-testid": "fb-count" });
  const selEl = h("span", { "data-testid": "fb-selection" });
  const el = h("div", { class: "sfj-fb__list" }, cols, scroller, h("div", { class: "sfj-fb__status" }, countEl, selEl));

  const rebuild = () => {
    b.shown = sortRows(b.rows, b.sortKey, b.sortDir, filter.value);
    b.anchor = -1;
    spacer.style.height = `${b.shown.length * ROW_HEIGHT}px`;
    for (const [key, button] of sortButtons) {
      const on = key === b.sortKey;
      setText(button, `${LABELS[key]}${on ? (b.sortDir > 0 ? " ▲" : " ▼") : ""}`);
      setAttr(button, "aria-sort", on ? (b.sortDir > 0 ? "ascending" : "descending") : "none");
    }
    const total = b.rows.length;
    setText(countEl, filter.value.trim() ? `${b.shown.length} of ${total} items` : `${total.toLocaleString()} items`);
    schedule();
  };

  const pool: HTMLElement[] = [];
  const rowEl = (slot: number): HTMLElement => {
    pool[slot] ??= h(
      "div",
      { class: "sfj-fb__row", role: "option", "data-testid": "fb-row" },
      h("span"),
      h("span", { class: "sfj-fb__name" }),
      h("span", { class: "sfj-fb__num" }),
      h("span", { class: "sfj-fb__num sfj-small" }),
    );
    return pool[slot];
  };

  const paintRow = (div: HTMLElement, i: number) => {
    const [name, kind, size, date, perms, user, group, target] = b.shown[i];
    const path = b.pathOf(b.shown[i]);
    div.dataset.name = name;
    div.dataset.kind = kind;
    div.dataset.index = String(i);
    setAttr(div, "aria-selected", String(b.selected.has(path)));
    setAttr(div, "title", `${perms}  ${user}:${group}${target ? `\n→ ${target}` : ""}\n${path}`);
    const [icon, nameCell, sizeCell, dateCell] = Array.from(div.children) as HTMLElement[];
    if (icon.dataset.icon !== kind) {
      icon.innerHTML = ICONS[kind] ?? ICONS.f;
      icon.dataset.icon = kind;
      setAttr(icon, "title", kind === "d" ? "folder" : kind === "l" ? "symbolic link" : "file");
    }
    if (target) nameCell.replaceChildren(name, h("span", { class: "sfj-fb__link", text: ` → ${target}` }));
    else setText(nameCell, name);
    setText(sizeCell, kind === "d" ? "—" : humanBytes(size));
    setText(dateCell, shortDateTime(date));
    setAttr(dateCell, "title", date);
  };

  const paint = () => {
    const { start, end } = visibleRange(
      scroller.scrollTop,
      scroller.clientHeight || 364,
      b.shown.length,
      ROW_HEIGHT,
      OVERSCAN,
    );
    windowEl.style.transform = `translateY(${start * ROW_HEIGHT}px)`;
    const wanted: HTMLElement[] = [];
    for (let i = start; i < end; i++) {
      const div = rowEl(i - start);
      paintRow(div, i);
      wanted.push(div);
    }
    if (windowEl.childElementCount !== wanted.length || wanted.some((d, i) => windowEl.children[i] !== d)) {
      windowEl.replaceChildren(...wanted);
    }
    setText(selEl, b.selected.size ? `${b.selected.size} selected` : "");
    afterPaint();
  };
  const { schedule, cancel } = frameScheduler(paint);
  b.view.cleanup(cancel);
  wireEvents(b, scroller, schedule, onUp);
  return { el, scroller, rebuild, schedule };
}

function wireEvents(b: Browser, scroller: HTMLElement, schedule: () => void, onUp: () => void): void {
  const choose = (i: number, mods: Modifiers) => {
    const row = b.shown[i];
    if (!row) return;
    const next = clickSelect(
      b.selected,
      b.shown.map((r) => b.pathOf(r)),
      i,
      b.anchor,
      mods,
    );
    b.selected.clear();
    for (const p of next.selected) b.selected.add(p);
    b.anchor = next.anchor;
    b.publish();
    schedule();
    const path = b.pathOf(row);
    if (b.selected.size === 1 && row[1] !== "d" && path !== b.previewPath) {
      b.previewPath = path;
      b.view.send({ type: "preview", path });
    }
  };
  const enter = (i: number) => {
    const row = b.shown[i];
    if (row && (row[1] === "d" || row[1] === "l")) b.open(b.pathOf(row));
  };
  const indexOf = (ev: Event) => {
    const row = (ev.target as HTMLElement).closest<HTMLElement>(".sfj-fb__row");
    return row ? Number(row.dataset.index) : -1;
  };
  scroller.addEventListener("click", (ev) => {
    const i = indexOf(ev);
    if (i >= 0) choose(i, ev);
    scroller.focus({ preventScroll: true });
  });
  scroller.addEventListener("dblclick", (ev) => enter(indexOf(ev)));
  scroller.addEventListener("scroll", schedule, { passive: true });
  scroller.addEventListener("keydown", (ev) => {
    if (!b.shown.length) return;
    const current = b.anchor < 0 ? -1 : b.anchor;
    const move = (to: number) => {
      const i = Math.max(0, Math.min(b.shown.length - 1, to));
      choose(i, ev);
      const top = i * ROW_HEIGHT;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (top + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight)
        scroller.scrollTop = top + ROW_HEIGHT - scroller.clientHeight;
      ev.preventDefault();
    };
    if (ev.key === "ArrowDown") move(current + 1);
    else if (ev.key === "ArrowUp") move(current - 1);
    else if (ev.key === "Home") move(0);
    else if (ev.key === "End") move(b.shown.length - 1);
    else if (ev.key === "Enter" && current >= 0) enter(current);
    else if (ev.key === "Backspace") onUp();
  });
}
