// The slice state: an index with an integer per axis held and null at the two axes drawn,
// and the sliders over the held axes (pure logic, then the section that draws them).

import { h, setText } from "../lib/dom";

/** The default index of a dataset of `shape`: the last two axes drawn, 0 for the others. */
export function defaultIndex(shape: number[]): (number | null)[] {
  return shape.map((_, axis) => (axis >= shape.length - 2 ? null : 0));
}

/** The index with `axis` at `value` (clamped into the axis). */
export function withAxis(index: (number | null)[], axis: number, value: number, shape: number[]): (number | null)[] {
  const top = Math.max(0, (shape[axis] ?? 1) - 1);
  return index.map((v, i) => (i === axis ? Math.min(Math.max(Math.round(value), 0), top) : v));
}

/** The axes that have a slider (those held at an integer), with their range. */
export function sliderAxes(index: (number | null)[], shape: number[]): { axis: number; at: number; max: number }[] {
  return index.flatMap((v, axis) => (v === null ? [] : [{ axis, at: v, max: Math.max(0, (shape[axis] ?? 1) - 1) }]));
}

/** The sliders of a slice view; `onChange(index)` on every move (the caller debounces). */
export function sliders(onChange: (index: (number | null)[]) => void): {
  el: HTMLElement;
  paint: (index: (number | null)[], shape: number[]) => void;
} {
  const el = h("div", { class: "sfj-h5__sliders", "data-testid": "h5-sliders" });
  let key = "";
  const paint = (index: (number | null)[], shape: number[]) => {
    const now = JSON.stringify([index.map((v) => v === null), shape]);
    if (now === key) return; // same axes: keep the sliders (and the one being dragged)
    key = now;
    let current = index.slice();
    el.replaceChildren(
      ...sliderAxes(index, shape).map(({ axis, at, max }) => {
        const label = h("span", { class: "sfj-muted", text: `axis ${axis}: ${at} / ${max}` });
        const slider = h("input", {
          type: "range",
          min: 0,
          max,
          step: 1,
          value: at,
          "data-testid": "h5-slider",
          "aria-label": `Index along axis ${axis}`,
        });
        slider.addEventListener("input", () => {
          current = withAxis(current, axis, Number(slider.value), shape);
          setText(label, `axis ${axis}: ${current[axis]} / ${max}`);
          onChange(current);
        });
        return h("label", { class: "sfj-h5__slider" }, slider, label);
      }),
    );
  };
  return { el, paint };
}
