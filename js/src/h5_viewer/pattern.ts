// The mean diffraction pattern with the detector drawn over it (an SVG in the full pattern's
// pixels): press inside to move it, on an edge to resize it; a button switches disc and ring.

import { h, setText } from "../lib/dom";
import { describe, drag, drawnAt, type Grip, grip, type Point, radii, switchKind, toPattern } from "./detector";
import { imagePanel } from "./images";
import type { Detector, ImageInfo } from "./protocol";

const SVG = "http://www.w3.org/2000/svg";
/** How near an edge (in screen pixels) a press grabs it rather than the centre. */
const GRIP_PX = 6;

export interface PatternHandlers {
  /** The detector moved (while the pointer is down). */
  onMove: (d: Detector) => void;
  /** The detector was let go, or switched kind. */
  onRelease: (d: Detector) => void;
}

export function patternPanel(handlers: PatternHandlers): {
  el: HTMLElement;
  show: (info: ImageInfo, buffer: DataView | ArrayBuffer) => void;
  setDetector: (d: Detector | null) => void;
  busy: (on: boolean) => void;
  clear: () => void;
} {
  const panel = imagePanel("Mean diffraction pattern", "h5-pattern");
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "sfj-h5__overlay");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("data-testid", "h5-detector");
  panel.frame.append(svg);
  const label = h("div", { class: "sfj-small", "data-testid": "h5-detector-text" });
  const toggle = h("button", { type: "button", class: "sfj-btn", "data-testid": "h5-detector-kind" });
  panel.el.append(h("div", { class: "sfj-h5__tools" }, toggle, label));
  let shape: number[] = [1, 1];
  let detector: Detector | null = null;
  let pressed: { grabbed: Grip; from: Point; start: Detector } | null = null;

  const draw = () => {
    svg.setAttribute("viewBox", `0 0 ${shape[1] ?? 1} ${shape[0] ?? 1}`);
    svg.replaceChildren();
    if (!detector) return;
    for (const r of radii(detector)) {
      const circle = document.createElementNS(SVG, "circle");
      for (const [k, v] of [
        ["cx", drawnAt(detector.col)],
        ["cy", drawnAt(detector.row)],
        ["r", r],
      ] as const)
        circle.setAttribute(k, String(v));
      circle.setAttribute("class", "sfj-h5__ring");
      svg.append(circle);
    }
    setText(label, describe(detector));
    setText(toggle, detector.kind === "bf" ? "Use a ring (ADF)" : "Use a disc (BF)");
  };
  const at = (ev: PointerEvent): Point => {
    const box = svg.getBoundingClientRect();
    return toPattern(ev.clientX - box.left, ev.clientY - box.top, box, shape);
  };
  svg.addEventListener("pointerdown", (ev) => {
    if (!detector) return;
    const box = svg.getBoundingClientRect();
    const from = at(ev);
    const tolerance = (GRIP_PX * (shape[0] ?? 1)) / Math.max(box.height, 1);
    pressed = { grabbed: grip(detector, from, tolerance), from, start: detector };
    svg.setPointerCapture?.(ev.pointerId);
    ev.preventDefault();
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!pressed) return;
    detector = drag(pressed.start, pressed.grabbed, pressed.from, at(ev), shape);
    draw();
    handlers.onMove(detector);
  });
  const release = () => {
    if (!pressed || !detector) return;
    pressed = null;
    handlers.onRelease(detector);
  };
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointercancel", release);
  toggle.addEventListener("click", () => {
    if (!detector) return;
    detector = switchKind(detector);
    draw();
    handlers.onRelease(detector);
  });
  return {
    el: panel.el,
    show(info, buffer) {
      shape = info.shape;
      panel.show(info, buffer);
      draw();
    },
    setDetector(d) {
      if (pressed) return; // the user's drag wins over the kernel's echo
      detector = d;
      draw();
    },
    busy: panel.busy,
    clear() {
      panel.clear();
      detector = null;
      draw();
    },
  };
}
