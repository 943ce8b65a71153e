// The detector drawn on the mean diffraction pattern: pure maths in the full pattern's pixels
// (the pattern image may be binned; the machine wants full-pattern coordinates).

import type { Detector } from "./protocol";

export interface Point {
  row: number;
  col: number;
}

/** What a press on the pattern grabs: the centre (moves the detector) or an edge (resizes it). */
export type Grip = "centre" | "radius" | "inner" | "outer";

const round1 = (v: number) => Math.round(v * 10) / 10;
const clamp = (v: number, low: number, high: number) => Math.min(Math.max(v, low), high);

/** A point of the drawn image (client pixels in `box`) in the full pattern's pixels. Pixel
 *  (r, c) is drawn over [c, c + 1) × [r, r + 1), so its centre, where the machine puts (r, c),
 *  is half a pixel in. */
export function toPattern(x: number, y: number, box: { width: number; height: number }, shape: number[]): Point {
  const [rows = 1, cols = 1] = shape;
  return {
    row: clamp((y / Math.max(box.height, 1)) * rows - 0.5, 0, rows - 1),
    col: clamp((x / Math.max(box.width, 1)) * cols - 0.5, 0, cols - 1),
  };
}

/** Where a pattern pixel coordinate is drawn (in the overlay's viewBox): its pixel's centre. */
export const drawnAt = (v: number) => v + 0.5;

/** The edges of a detector, from the centre out. */
export function radii(d: Detector): number[] {
  return d.kind === "bf" ? [d.radius] : [d.inner, d.outer];
}

/** Which part of `d` a press at `p` grabs: an edge within `tolerance` pixels, else the centre. */
export function grip(d: Detector, p: Point, tolerance: number): Grip {
  const distance = Math.hypot(p.row - d.row, p.col - d.col);
  if (d.kind === "bf") return Math.abs(distance - d.radius) <= tolerance ? "radius" : "centre";
  const toInner = Math.abs(distance - d.inner);
  const toOuter = Math.abs(distance - d.outer);
  if (Math.min(toInner, toOuter) > tolerance) return "centre";
  return toInner < toOuter ? "inner" : "outer";
}

/** `d` after a drag of `grabbed` from `from` to `to`, kept inside the pattern of `shape`
 *  (the centre in it, radii at least 1 and `inner < outer`). */
export function drag(d: Detector, grabbed: Grip, from: Point, to: Point, shape: number[]): Detector {
  const [rows = 1, cols = 1] = shape;
  if (grabbed === "centre") {
    return {
      ...d,
      row: round1(clamp(d.row + to.row - from.row, 0, rows - 1)),
      col: round1(clamp(d.col + to.col - from.col, 0, cols - 1)),
    };
  }
  const r = round1(Math.max(1, Math.hypot(to.row - d.row, to.col - d.col)));
  if (d.kind === "bf") return { ...d, radius: r };
  if (grabbed === "inner") return { ...d, inner: Math.min(Math.max(0, r), d.outer - 1) };
  return { ...d, outer: Math.max(r, d.inner + 1) };
}

/** The other kind of detector at the same place: a disc becomes a ring just outside it, and a
 *  ring becomes the disc inside it. */
export function switchKind(d: Detector): Detector {
  if (d.kind === "bf") return { kind: "adf", row: d.row, col: d.col, inner: d.radius * 1.5, outer: d.radius * 3 };
  return { kind: "bf", row: d.row, col: d.col, radius: Math.max(1, d.inner) };
}

/** One line describing `d`. */
export function describe(d: Detector): string {
  const at = `(${round1(d.row)}, ${round1(d.col)})`;
  return d.kind === "bf"
    ? `bright field: disc at ${at}, radius ${round1(d.radius)} px`
    : `annular dark field: ring at ${at}, ${round1(d.inner)}–${round1(d.outer)} px`;
}
