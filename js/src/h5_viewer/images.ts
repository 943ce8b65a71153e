// An image panel: the PNG the kernel drew, its caption (what it is, binned or quick look),
// its value range, and a "computing" mark while the machine works on the next one.

import { h, setText } from "../lib/dom";
import type { ImageInfo } from "./protocol";

const fmt = (v: number) =>
  Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(5));

/** What an image is, in one line: its shape, and whether it is binned or a quick look. */
export function caption(info: ImageInfo): string {
  const parts = [`${info.shape.join(" × ")}`];
  if (info.binned > 1) parts.push(`each pixel ${info.binned}×${info.binned}`);
  if (info.scan_step > 1) parts.push(`quick look: every ${info.scan_step}th scan position`);
  parts.push(`${fmt(info.vmin)} … ${fmt(info.vmax)}${info.log ? " (log scale)" : ""}`);
  parts.push(`${info.seconds.toFixed(2)} s on the machine`);
  return parts.join(" · ");
}

export function imagePanel(
  title: string,
  testid: string,
): {
  el: HTMLElement;
  frame: HTMLElement;
  show: (info: ImageInfo, buffer: DataView | ArrayBuffer) => void;
  busy: (on: boolean) => void;
  clear: () => void;
} {
  const img = h("img", { class: "sfj-h5__img", alt: title, "data-testid": testid });
  const frame = h("div", { class: "sfj-h5__frame" }, img);
  const text = h("div", { class: "sfj-muted sfj-small", "data-testid": `${testid}-caption` });
  const mark = h("span", { class: "sfj-h5__busy", "data-testid": `${testid}-busy`, text: "computing…", hidden: true });
  const el = h(
    "figure",
    { class: "sfj-h5__panel", hidden: true },
    h("figcaption", {}, h("strong", { text: title }), " ", mark),
    frame,
    text,
  );
  let url = "";
  return {
    el,
    frame,
    show(info, buffer) {
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(new Blob([buffer as BlobPart], { type: "image/png" }));
      img.src = url;
      img.dataset.scanStep = String(info.scan_step);
      el.hidden = false;
      setText(text, caption(info));
    },
    busy(on) {
      mark.hidden = !on;
    },
    clear() {
      el.hidden = true;
      setText(text, "");
    },
  };
}
