import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { allByTestId, byTestId, mount } from "../lib/testing/fake_model";
import widget, { SETTLE_MS } from "./index";
import type { H5Node } from "./protocol";

const tree: H5Node = {
  path: "/",
  kind: "group",
  attrs: { instrument: "TEAM 0.5" },
  children: [
    {
      path: "/data",
      kind: "dataset",
      shape: [128, 128, 256, 256],
      dtype: "uint16",
      chunks: [4, 4, 256, 256],
      compression: "gzip",
      filters: ["deflate"],
      nbytes: 2 ** 31,
      storage_bytes: 300_000,
      attrs: { units: "counts" },
    },
    {
      path: "/meta",
      kind: "group",
      attrs: {},
      children: [{ path: "/meta/stack", kind: "dataset", shape: [5, 64, 64], dtype: "float32", attrs: {} }],
    },
    { path: "/meta/names", kind: "dataset", shape: [3], dtype: "str", attrs: {} },
  ],
};
const traits = {
  machine: "perlmutter",
  path: "/home/elvis/scan.h5",
  tree,
  dataset: "",
  mode: "",
  index: [] as (number | null)[],
  detector: {},
  busy: [] as string[],
  message: "",
  message_level: "info",
};
const png = new DataView(new Uint8Array([137, 80, 78, 71]).buffer);
const pattern = {
  type: "image",
  role: "pattern",
  dataset: "/data",
  shape: [256, 256],
  binned: 1,
  scan_step: 1,
  seconds: 0.4,
  vmin: 0,
  vmax: 900,
  log: true,
};

beforeEach(() => {
  URL.createObjectURL = vi.fn(() => "blob:png");
  URL.revokeObjectURL = vi.fn();
});
afterEach(() => vi.useRealTimers());

/** Pointer events on the pattern's overlay, drawn 256×256 px at the page's origin. */
function pointer(el: HTMLElement, type: string, x: number, y: number) {
  const svg = byTestId(el, "h5-detector");
  svg.getBoundingClientRect = () => ({
    left: 0,
    top: 0,
    width: 256,
    height: 256,
    right: 256,
    bottom: 256,
    x: 0,
    y: 0,
    toJSON: () => ({}),
  });
  const ev = new MouseEvent(type, { clientX: x, clientY: y, bubbles: true });
  Object.defineProperty(ev, "pointerId", { value: 1 });
  svg.dispatchEvent(ev);
}

describe("the HDF5 viewer", () => {
  it("shows the tree with each dataset's facts and attributes; a click selects a dataset", () => {
    const { model, el } = mount(widget, traits);
    const text = byTestId(el, "h5-tree").textContent ?? "";
    expect(text).toContain("128 × 128 × 256 × 256 · uint16 · chunks 4×4×256×256 · deflate · 2.0 GiB");
    expect(text).toContain("@units = counts");
    expect(text).toContain("@instrument = TEAM 0.5");
    // Text datasets are listed, not offered.
    expect(allByTestId(el, "h5-dataset").map((b) => b.dataset.path)).toEqual(["/data", "/meta/stack"]);
    allByTestId(el, "h5-dataset")[1]?.click();
    expect(model.sentOf("select")).toEqual([{ type: "select", dataset: "/meta/stack" }]);
  });

  it("has a slider per held axis and asks for the slice once the slider rests", () => {
    vi.useFakeTimers();
    const { model, el } = mount(widget, traits);
    model.kernelSet({ dataset: "/meta/stack", mode: "slice", index: [0, null, null] });
    const sliders = allByTestId<HTMLInputElement>(el, "h5-slider");
    expect(sliders.map((s) => s.max)).toEqual(["4"]);
    const slider = byTestId<HTMLInputElement>(el, "h5-slider");
    for (const v of ["1", "2", "3"]) {
      slider.value = v;
      slider.dispatchEvent(new Event("input"));
    }
    expect(model.sentOf("slice")).toEqual([]);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.sentOf("slice")).toEqual([{ type: "slice", index: [3, null, null] }]);
  });

  it("draws images from the kernel's PNGs, with a caption saying a quick look is one", () => {
    const { model, el } = mount(widget, traits);
    model.kernelSet({
      dataset: "/data",
      mode: "4d",
      detector: { kind: "bf", row: 128, col: 120, radius: 12 },
      busy: ["virtual"],
    });
    model.kernelSend(pattern, [png]);
    model.kernelSend({ ...pattern, role: "virtual", shape: [128, 128], scan_step: 4, log: false, vmax: 1e6 }, [png]);
    expect(byTestId<HTMLImageElement>(el, "h5-pattern").src).toBe("blob:png");
    expect(byTestId(el, "h5-virtual-caption").textContent).toContain("quick look: every 4th scan position");
    expect(byTestId(el, "h5-virtual-busy").hidden).toBe(false);
    expect(byTestId(el, "h5-detector").querySelectorAll("circle")).toHaveLength(1);
    expect(byTestId(el, "h5-detector-text").textContent).toBe("bright field: disc at (128, 120), radius 12 px");
  });

  it("sends quick looks while the detector is dragged, and the final one when let go", () => {
    vi.useFakeTimers();
    const { model, el } = mount(widget, traits);
    model.kernelSet({ dataset: "/data", mode: "4d", detector: { kind: "bf", row: 128, col: 120, radius: 12 } });
    model.kernelSend(pattern, [png]);
    pointer(el, "pointerdown", 120, 128); // the centre
    pointer(el, "pointermove", 130, 128);
    pointer(el, "pointermove", 140, 138);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.sentOf("detector")).toEqual([
      { type: "detector", detector: { kind: "bf", row: 138, col: 140, radius: 12 }, final: false },
    ]);
    pointer(el, "pointermove", 150, 148);
    pointer(el, "pointerup", 150, 148);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.sentOf("detector").slice(1)).toEqual([
      { type: "detector", detector: { kind: "bf", row: 148, col: 150, radius: 12 }, final: true },
    ]);
    // The kind button makes the ring around the disc.
    byTestId(el, "h5-detector-kind").click();
    expect(model.sentOf("detector").slice(-1)[0]).toMatchObject({
      detector: { kind: "adf", inner: 18, outer: 36 },
      final: true,
    });
  });

  it("shows the engine's message, clears images for a new dataset, and leaves no listener", () => {
    const { model, el, unmount } = mount(widget, traits);
    model.kernelSend(pattern, [png]);
    model.kernelSet({ message: "/nope is not in /home/elvis/scan.h5; its datasets: /data", message_level: "error" });
    expect(byTestId(el, "h5-message").textContent).toContain("its datasets: /data");
    expect(byTestId(el, "h5-message").dataset.level).toBe("error");
    model.kernelSend({ type: "clear" });
    expect(byTestId(el, "h5-pattern").closest("figure")?.hidden).toBe(true);
    unmount();
    expect(model.listenerCount()).toBe(0);
  });
});
