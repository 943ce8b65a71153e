// Pieces every widget draws the same way: state badges, confirmation bars, load errors.

import { h, setAttr, setText } from "./dom";
import { applyStateColours, family, stateLabel } from "./states";

/** A coloured state chip; `testid` for the card's main badge. */
export function badge(state: string, testid?: string, count?: number): HTMLElement {
  const el = h("span", { class: "sfj-badge", "data-testid": testid, role: "status" });
  updateBadge(el, state, count);
  return el;
}

export function updateBadge(el: HTMLElement, state: string, count?: number): void {
  const value = state || "UNKNOWN";
  setAttr(el, "data-state", value);
  setAttr(el, "data-family", family(value));
  setAttr(el, "title", value);
  if (count === undefined) {
    // The text is Slurm's own spelling so that tests and screen readers read the real state.
    setText(el, value);
  } else {
    el.replaceChildren(h("span", { text: stateLabel(value) }), h("b", { class: "sfj-badge__n", text: String(count) }));
  }
}

/**
 * An inline "are you sure?" bar: `open()` shows it; the yes button carries
 * data-testid="confirm-cancel".
 */
export function confirmBar(onYes: () => void): {
  el: HTMLElement;
  open: (question: string, yesLabel: string) => void;
  close: () => void;
} {
  const text = h("span", { class: "sfj-confirm__text" });
  const yes = h("button", { class: "sfj-btn sfj-btn--danger", type: "button", "data-testid": "confirm-cancel" });
  const no = h("button", { class: "sfj-btn", type: "button", "data-testid": "confirm-keep", text: "Keep it" });
  const el = h("div", { class: "sfj-confirm", role: "alertdialog", hidden: true }, text, yes, no);
  const close = () => {
    el.hidden = true;
  };
  yes.addEventListener("click", () => {
    close();
    onYes();
  });
  no.addEventListener("click", close);
  el.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") close();
  });
  return {
    el,
    open(question: string, yesLabel: string) {
      setText(text, question);
      setText(yes, yesLabel);
      el.hidden = false;
      no.focus();
    },
    close,
  };
}

export const FIX_HINT =
  "Reload the page. If it persists, reinstall sfapi_jupyter in the kernel's environment " +
  "(pip install sfapi_jupyter, or in a checkout: npm --prefix js run build) and make sure " +
  "anywidget is installed where the Jupyter server runs (pip install anywidget).";

/** What a view shows instead of a stack trace when drawing it fails. */
export function loadError(widget: string, error: unknown): HTMLElement {
  const detail = error instanceof Error ? error.message : String(error);
  const note = h(
    "div",
    { class: "sfj-load-error", role: "alert", "data-testid": "widget-error" },
    h("strong", { text: `The ${widget} could not be drawn: ${detail}` }),
    h("div", { text: FIX_HINT }),
  );
  applyStateColours(note); // drawn outside any widget root: its red comes from states.json too
  return note;
}

/** A labelled value in a card's facts row: `el` to place, `value` to fill. */
export function fact(label: string, testid: string): { el: HTMLElement; value: HTMLElement } {
  const value = h("span", { class: "sfj-fact__value", "data-testid": testid });
  return {
    el: h("span", { class: "sfj-fact" }, h("span", { class: "sfj-fact__label", text: label }), value),
    value,
  };
}

/** A message line (`.sfj-message`): shown with `text` at `level`, hidden when `text` is empty. */
export function paintMessage(el: HTMLElement, text: string, level: string): void {
  el.hidden = !text;
  setText(el, text);
  setAttr(el, "data-level", level || "info");
}
