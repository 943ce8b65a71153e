import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { byTestId, mount } from "../lib/testing/fake_model";
import { frameCaption, keep } from "./frames";
import widget from "./index";
import type { FrameInfo } from "./protocol";
import { traits } from "./test_traits";

const frame = (index: number, extra: Partial<FrameInfo> = {}): FrameInfo => ({
  index,
  name: `iter_${index}.npy`,
  path: `/home/elvis/run/out/iter_${index}.npy`,
  label: `iteration ${index}`,
  mime: "image/png",
  note: "",
  error: "",
  size: 4,
  ...extra,
});
const png = () => new DataView(new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer);
const watching = { ...traits, watch_pattern: "out/iter_*.npy", watch_dir: "/home/elvis/run/out" };

describe("the live frames", () => {
  let made = 0;
  const revoked: string[] = [];
  beforeEach(() => {
    made = 0;
    revoked.length = 0;
    URL.createObjectURL = vi.fn(() => `blob:frame-${++made}`);
    URL.revokeObjectURL = vi.fn((url: string) => void revoked.push(url));
  });
  afterEach(() => vi.restoreAllMocks());

  it("is hidden without --watch, and says it waits for the first frame with it", () => {
    const { model, el } = mount(widget, traits);
    expect(byTestId(el, "frames").hidden).toBe(true);
    model.kernelSet({ watch_pattern: "out/iter_*.npy", watch_dir: "/home/elvis/run/out" });
    expect(byTestId(el, "frames").hidden).toBe(false);
    expect(byTestId(el, "frames-pattern").textContent).toBe("out/iter_*.npy in /home/elvis/run/out");
    expect(byTestId(el, "frames-empty").textContent).toContain("No frame yet");
    expect(byTestId(el, "frame-image").hidden).toBe(true);
  });

  it("shows the newest frame as frames arrive, and the slider goes back to older ones", () => {
    const { model, el } = mount(widget, watching);
    for (const i of [1, 2, 3]) {
      model.kernelSend({ type: "frame", frame: frame(i), first: 1 }, [png()]);
      model.kernelSet({ frames_seen: i });
    }
    const img = byTestId(el, "frame-image") as HTMLImageElement;
    const slider = byTestId(el, "frame-slider") as HTMLInputElement;
    expect(img.dataset.index).toBe("3");
    expect(img.getAttribute("src")).toBe("blob:frame-3");
    expect(byTestId(el, "frame-caption").textContent).toBe("frame 3: iter_3.npy · iteration 3");
    expect(slider.max).toBe("2");
    expect(byTestId(el, "frame-position").textContent).toBe("3 / 3");
    expect(byTestId(el, "frames-count").textContent).toBe("3 frames");

    slider.value = "0";
    slider.dispatchEvent(new Event("input"));
    expect(img.dataset.index).toBe("1");
    expect(byTestId(el, "frame-caption").textContent).toBe("frame 1: iter_1.npy · iteration 1");
    // A new frame does not take the user away from the one they chose...
    model.kernelSend({ type: "frame", frame: frame(4), first: 1 }, [png()]);
    expect(img.dataset.index).toBe("1");
    expect(byTestId(el, "frame-position").textContent).toBe("1 / 4");
    // ...until they move back to the end, which follows the newest again.
    slider.value = "3";
    slider.dispatchEvent(new Event("input"));
    model.kernelSend({ type: "frame", frame: frame(5), first: 1 }, [png()]);
    expect(img.dataset.index).toBe("5");
  });

  it("shows a frame that cannot be read as its one-line error, and keeps working", () => {
    const { model, el } = mount(widget, watching);
    model.kernelSend({ type: "frame", frame: frame(1), first: 1 }, [png()]);
    const bad = frame(2, { mime: "", error: "iter_2.npy is not a .npy file (the magic string is not correct)" });
    model.kernelSend({ type: "frame", frame: bad, first: 1 });
    expect(byTestId(el, "frame-error").hidden).toBe(false);
    expect(byTestId(el, "frame-error").textContent).toContain("is not a .npy file");
    expect(byTestId(el, "frame-image").hidden).toBe(true);
    model.kernelSend({ type: "frame", frame: frame(3), first: 1 }, [png()]);
    expect(byTestId(el, "frame-error").hidden).toBe(true);
    expect((byTestId(el, "frame-image") as HTMLImageElement).dataset.index).toBe("3");
  });

  it("keeps the frames the kernel keeps, freeing the dropped ones, and says so", () => {
    const { model, el, unmount } = mount(widget, { ...watching, max_frames: 2 });
    for (const i of [1, 2, 3]) model.kernelSend({ type: "frame", frame: frame(i), first: 1 }, [png()]);
    model.kernelSet({ frames_seen: 3 });
    expect(revoked).toEqual(["blob:frame-1"]);
    expect(byTestId(el, "frames-count").textContent).toBe("3 frames (the last 2 kept)");
    unmount();
    expect(revoked).toEqual(["blob:frame-1", "blob:frame-2", "blob:frame-3"]);
  });

  it("takes every kept frame from a snapshot, images from its buffers by number", () => {
    const { model, el } = mount(widget, watching);
    const frames = [frame(7), frame(8, { mime: "", error: "too large", buffer: null }), frame(9, { buffer: 1 })];
    frames[0].buffer = 0;
    model.kernelSend({ type: "snapshot", frames }, [png(), png()]);
    model.kernelSet({ frames_seen: 9 });
    expect(made).toBe(2);
    expect(byTestId(el, "frame-position").textContent).toBe("3 / 3");
    expect((byTestId(el, "frame-image") as HTMLImageElement).dataset.index).toBe("9");
  });

  it("shows the frame saved with the notebook when no kernel answers, and the frames note", async () => {
    vi.useFakeTimers();
    const saved = { ...frame(4), src: "data:image/png;base64,iVBORw0KGgo=" };
    const { model, el } = mount(widget, { ...watching, frames_seen: 4, last_frame: saved });
    await vi.advanceTimersByTimeAsync(20000);
    vi.useRealTimers();
    expect(byTestId(el, "frame-image").getAttribute("src")).toBe(saved.src);
    expect(byTestId(el, "frame-caption").textContent).toBe("frame 4: iter_4.npy · iteration 4");
    model.kernelSet({
      frames_note: "no file matched out/iter_*.npy in /home/elvis/run/out",
      frames_note_level: "warning",
    });
    expect(byTestId(el, "frames-note").hidden).toBe(false);
    expect(byTestId(el, "frames-note").textContent).toContain("no file matched");
  });

  it("keeps each image and the chosen frame through a repeated snapshot, freeing only what went", () => {
    const { model, el } = mount(widget, watching);
    const all = [frame(1, { buffer: 0 }), frame(2, { buffer: 1 }), frame(3, { buffer: 2 })];
    model.kernelSend({ type: "snapshot", frames: all }, [png(), png(), png()]);
    const slider = byTestId(el, "frame-slider") as HTMLInputElement;
    slider.value = "1";
    slider.dispatchEvent(new Event("input"));
    const img = byTestId(el, "frame-image") as HTMLImageElement;
    expect(img.getAttribute("src")).toBe("blob:frame-2");
    // the kernel offers its snapshot again: frame 1 is gone (its cap), frame 4 is new
    const again = [frame(2, { buffer: 0 }), frame(3, { buffer: 1 }), frame(4, { buffer: 2 })];
    model.kernelSend({ type: "snapshot", frames: again }, [png(), png(), png()]);
    expect(made).toBe(4);
    expect(revoked).toEqual(["blob:frame-1"]);
    expect(img.getAttribute("src")).toBe("blob:frame-2");
    expect(byTestId(el, "frame-position").textContent).toBe("1 / 3");
  });

  it("shows the saved frame in a view drawn afresh while its snapshot is on the way", () => {
    const saved = { ...frame(3), src: "data:image/png;base64,iVBORw0KGgo=" };
    const { model, el } = mount(widget, { ...watching, frames_seen: 3, last_frame: saved });
    const img = byTestId(el, "frame-image") as HTMLImageElement;
    expect(img.hidden).toBe(false);
    expect(img.getAttribute("src")).toBe(saved.src);
    expect(byTestId(el, "frames-empty").hidden).toBe(true);
    model.kernelSend({ type: "snapshot", frames: [frame(3, { buffer: 0 })] }, [png()]);
    expect(img.getAttribute("src")).toBe("blob:frame-1");
  });

  it("orders and caps kept frames", () => {
    const kept = [3, 1, 2].map((i) => ({ info: frame(i), url: `u${i}` }));
    const dropped = keep(kept, { info: frame(4), url: "u4" }, 2, 10);
    expect(kept.map((k) => k.info.index)).toEqual([2, 3, 4]);
    expect(dropped.map((k) => k.url)).toEqual(["u1"]);
    expect(frameCaption({ index: 2, name: "a.png", label: "", note: "RGB" })).toBe("frame 2: a.png · RGB");
  });
});
