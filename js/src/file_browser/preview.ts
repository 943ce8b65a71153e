// The preview pane of the FileBrowser: text (first and last lines), an image, or a slice of
// a .npy array drawn on the kernel side, with its colour bar and one slider per leading axis.

import { h, setText } from "../lib/dom";
import { humanBytes } from "../lib/format";
import type { Preview } from "./protocol";
import type { Browser } from "./state";

const fmtNumber = (v: number | undefined) =>
  v === undefined
    ? ""
    : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(3)
      : String(+v.toPrecision(5));

/** Draw preview ``p`` into ``target``; ``onSlice(index)`` asks for another slice of an array
 *  (called on every slider move: the caller debounces).
 *  Returns the object URL of an image it made ("" if none), for the caller to revoke. */
export function renderPreview(
  target: HTMLElement,
  p: Preview,
  buffers: ArrayBuffer[] | DataView[],
  onSlice: (index: number[]) => void,
): string {
  let url = "";
  const name = p.path.slice(p.path.lastIndexOf("/") + 1);
  const head = h(
    "div",
    {},
    h("strong", { text: name }),
    " ",
    h("span", { class: "sfj-muted sfj-small", text: p.size !== undefined ? humanBytes(p.size) : "" }),
  );
  target.dataset.kind = p.kind;
  target.dataset.path = p.path;
  const image = () => {
    url = URL.createObjectURL(new Blob([buffers[0] as BlobPart], { type: p.mime || "image/png" }));
    return h("img", {
      src: url,
      alt: `Preview of ${name}`,
      "data-testid": p.kind === "array" ? "fb-preview-array" : "fb-preview-image",
      "data-array": p.kind === "array" || undefined,
    });
  };
  if (p.kind === "loading") target.replaceChildren(head, h("div", { class: "sfj-muted", text: "Loading preview…" }));
  else if (p.kind === "text") {
    const parts: HTMLElement[] = [h("pre", { "data-testid": "fb-preview-text", text: (p.head ?? []).join("\n") })];
    if (p.skipped)
      parts.push(
        h("div", { class: "sfj-muted sfj-small", text: `… ${p.skipped} lines not shown …` }),
        h("pre", { text: (p.tail ?? []).join("\n") }),
      );
    target.replaceChildren(head, h("div", { class: "sfj-muted sfj-small", text: `${p.total_lines} lines` }), ...parts);
  } else if (p.kind === "image" && buffers.length) target.replaceChildren(head, image());
  else if (p.kind === "array") {
    const facts = h("div", {
      class: "sfj-small",
      "data-testid": "fb-array-info",
      text: `${p.dtype} · shape (${(p.shape ?? []).join(", ")})${p.stride && p.stride > 1 ? ` · every ${p.stride}th pixel` : ""}`,
    });
    const parts: HTMLElement[] = [facts];
    if (buffers.length) {
      const stops = (p.colormap ?? []).join(", ");
      parts.push(
        image(),
        h("div", {
          class: "sfj-fb__colorbar",
          "data-testid": "fb-colorbar",
          style: `background: linear-gradient(to right, ${stops})`,
        }),
        h(
          "div",
          { class: "sfj-fb__scale" },
          h("span", { "data-testid": "fb-vmin", text: fmtNumber(p.vmin) }),
          h("span", { "data-testid": "fb-vmax", text: fmtNumber(p.vmax) }),
        ),
      );
    }
    (p.slider_axes ?? []).forEach((n, axis) => {
      const at = p.index?.[axis] ?? 0;
      const label = h("span", { text: `axis ${axis}: ${at} / ${n - 1}` });
      const slider = h("input", {
        type: "range",
        min: 0,
        max: n - 1,
        value: at,
        step: 1,
        "data-testid": "fb-slider",
        "aria-label": `Index along axis ${axis}`,
      });
      slider.addEventListener("input", () => {
        setText(label, `axis ${axis}: ${slider.value} / ${n - 1}`);
        const index = (p.index ?? []).slice();
        index[axis] = Number(slider.value);
        onSlice(index);
      });
      parts.push(h("div", { class: "sfj-fb__slider" }, slider, label));
    });
    if (p.note) parts.push(h("div", { class: "sfj-muted sfj-small", text: p.note }));
    target.replaceChildren(head, ...parts);
  } else if (p.kind === "binary")
    target.replaceChildren(
      head,
      h("div", { class: "sfj-muted", text: "A binary file: no preview. Download it to open it here." }),
    );
  else
    target.replaceChildren(
      head,
      h("div", {
        class: p.kind === "error" ? "sfj-message" : "sfj-muted",
        "data-level": "error",
        text: p.message ?? "",
      }),
    );
  return url;
}

/** The preview pane: a hint until a file is selected, then the kernel's previews of it; a slider
 *  move asks for another slice once the slider stops. */
export function previewPane(b: Browser): { el: HTMLElement; show: (p: Preview, buffers: DataView[]) => void } {
  const el = h("div", { class: "sfj-fb__preview", "data-testid": "fb-preview", "aria-live": "polite" });
  el.replaceChildren(
    h("div", {
      class: "sfj-muted",
      text: "Select a file to preview it (text, PNG/JPEG, .npy). Double-click a folder to open it.",
    }),
  );
  let objectUrl = "";
  let slice: { path: string; index: number[] } | null = null;
  const sliceTimer = b.view.debounce(60, () => {
    if (slice) b.view.send({ type: "slice", ...slice });
  });
  b.view.cleanup(() => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  });
  const show = (p: Preview, buffers: DataView[]) => {
    // a late preview of a file no longer selected is dropped
    if (p.path !== b.previewPath && b.selected.size && !b.selected.has(p.path)) return;
    b.previewPath = p.path;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = renderPreview(el, p, buffers, (index) => {
      slice = { path: p.path, index };
      sliceTimer.start(); // one request when the slider stops, not one per step
    });
  };
  return { el, show };
}
