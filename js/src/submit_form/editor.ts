// The SubmitForm's batch script editor: a textarea (Tab indents, Jupyter's shortcuts stay
// out) whose text goes to the kernel when typing pauses, on blur and before a submit.

import { h, setText } from "../lib/dom";
import { type FormView, TYPING_MS } from "./model";

export interface Editor {
  el: HTMLElement;
  paint: () => void;
  /** Select line `line` (1-based) and scroll it into sight. */
  selectLine: (line: number) => void;
  /** Send the text now if an edit is waiting. */
  flush: () => void;
}

/** Lines in `text`, not counting the empty one after a final newline. */
export const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

export function editor(view: FormView): Editor {
  const { model } = view;
  const area = h("textarea", {
    class: "sfj-form__script",
    spellcheck: "false",
    "data-testid": "script-editor",
    "aria-label": "Batch script",
  });
  const lineInfo = h("span", { class: "sfj-small" });
  const head = h("div", { class: "sfj-form__editor-head" }, h("strong", { text: "Batch script" }), lineInfo);
  const el = h("div", { class: "sfj-form__editor" }, head, area);
  const typing = view.debounce(TYPING_MS, () => view.send({ type: "script", value: area.value }));

  const paint = () => {
    const text = model.get("script");
    if (document.activeElement !== area && area.value !== text) area.value = text;
    setText(lineInfo, `${lineCount(text)} lines · ${model.get("machine")}`);
  };
  const selectLine = (line: number) => {
    const lines = area.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] ?? "").length);
    const lineHeight = Number.parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 3) * lineHeight);
  };

  area.addEventListener("input", typing.start);
  area.addEventListener("blur", () => {
    typing.flush();
    paint();
  });
  area.addEventListener("keydown", (ev) => {
    if (ev.key === "Tab" && !ev.shiftKey) {
      ev.preventDefault();
      area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    ev.stopPropagation(); // keep Jupyter's command-mode shortcuts out of the editor
  });
  view.watch(["script", "machine"], paint);
  return { el, paint, selectLine, flush: () => void typing.flush() };
}
