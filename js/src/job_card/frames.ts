// The JobCard's live frames (`--watch 'out/iter_*.npy'`): the images a running job writes,
// each arriving as a "frame" message with its image as a binary buffer (never a path the
// browser would fetch), with a slider over the frames seen so far. The newest is shown while
// the slider is at the end; a user who moved it back keeps the frame they chose.

import { h, setText } from "../lib/dom";
import { paintMessage } from "../lib/ui";
import type { CardView } from "./model";
import type { FrameInfo } from "./protocol";

interface Kept {
  info: FrameInfo;
  url: string;
}

/** `frame 4: iter_4.npy · iteration 4` (as the Python side's frame_caption). */
export function frameCaption(f: Pick<FrameInfo, "index" | "name" | "label" | "note">): string {
  return [`frame ${f.index}: ${f.name}`, f.label, f.note].filter(Boolean).join(" · ");
}

/** The frames kept: new ones appended in order, the oldest dropped beyond `max` or below
 *  `first` (the kernel's own cap). Returns the dropped ones (their URLs are revoked). */
export function keep(frames: Kept[], add: Kept | null, first: number, max: number): Kept[] {
  if (add && !frames.some((f) => f.info.index === add.info.index)) frames.push(add);
  frames.sort((a, b) => a.info.index - b.info.index);
  const dropped: Kept[] = [];
  while (frames.length && (frames.length > max || frames[0].info.index < first)) {
    const gone = frames.shift();
    if (gone) dropped.push(gone);
  }
  return dropped;
}

/** The same file read once: a frame is never rewritten under its index. */
const sameFrame = (a: FrameInfo, b: FrameInfo) => a.name === b.name && a.size === b.size && a.mime === b.mime;

export interface FramesPanel {
  el: HTMLElement;
  add: (info: FrameInfo, buffer: DataView | ArrayBuffer | undefined, first: number) => void;
  reset: (infos: FrameInfo[], buffers: DataView[]) => void;
  paint: () => void;
}

export function framesPanel(view: CardView): FramesPanel {
  const { model } = view;
  const frames: Kept[] = [];
  let shown = -1; // position in `frames`; -1: follow the newest
  const title = h("strong", { text: "Frames" });
  const pattern = h("code", { class: "sfj-path", "data-testid": "frames-pattern" });
  const count = h("span", { class: "sfj-muted", "data-testid": "frames-count" });
  const img = h("img", { class: "sfj-frames__img", alt: "", "data-testid": "frame-image", hidden: true });
  const error = h("div", { class: "sfj-message", "data-level": "error", "data-testid": "frame-error", hidden: true });
  const caption = h("div", { class: "sfj-muted sfj-small", "data-testid": "frame-caption" });
  const slider = h("input", {
    type: "range",
    class: "sfj-frames__slider",
    min: 0,
    max: 0,
    value: 0,
    step: 1,
    "aria-label": "frame",
    "data-testid": "frame-slider",
  });
  const position = h("span", { class: "sfj-muted sfj-small", "data-testid": "frame-position" });
  const note = h("div", { class: "sfj-message", "data-testid": "frames-note", hidden: true });
  const empty = h("div", { class: "sfj-muted sfj-small", "data-testid": "frames-empty" });
  const el = h(
    "div",
    { class: "sfj-frames", "data-testid": "frames", hidden: true },
    h("div", { class: "sfj-frames__head" }, title, pattern, count),
    empty,
    h("figure", { class: "sfj-frames__figure" }, img, error, caption),
    h("div", { class: "sfj-frames__bar" }, slider, position),
    note,
  );
  view.cleanup(() => {
    for (const f of frames) if (f.url) URL.revokeObjectURL(f.url);
  });

  const paint = () => {
    const watch = model.get("watch_pattern") ?? "";
    el.hidden = !watch;
    const dir = model.get("watch_dir");
    setText(pattern, dir ? `${watch} in ${dir}` : watch);
    const seen = model.get("frames_seen") ?? 0;
    const kept = frames.length < seen ? ` (the last ${frames.length} kept)` : "";
    setText(count, seen ? `${seen} frame${seen === 1 ? "" : "s"}${kept}` : "");
    paintMessage(note, model.get("frames_note") ?? "", model.get("frames_note_level") ?? "info");
    // The frame saved with the notebook stands in until the kernel's frames arrive: in a
    // notebook reopened without a kernel, and in the view drawn afresh when the job ends
    // (the summary written into the output), which has no frame until its snapshot.
    const saved = model.get("last_frame") ?? {};
    const savedOnly = frames.length === 0 && Boolean(saved.name);
    const at = shown < 0 || shown >= frames.length ? frames.length - 1 : shown;
    const current = savedOnly ? { info: saved as FrameInfo, url: saved.src ?? "" } : frames[at];
    empty.hidden = Boolean(current);
    setText(empty, current ? "" : "No frame yet: each new matching file appears here as the job writes it.");
    slider.hidden = position.hidden = frames.length < 2;
    slider.max = String(Math.max(0, frames.length - 1));
    slider.value = String(Math.max(0, at));
    setText(position, frames.length ? `${at + 1} / ${frames.length}` : "");
    img.hidden = !current?.url;
    if (current?.url) {
      if (img.getAttribute("src") !== current.url) img.src = current.url;
      img.alt = current.info.name;
      img.dataset.index = String(current.info.index);
    }
    error.hidden = !current?.info.error;
    setText(error, current?.info.error ?? "");
    setText(caption, current ? frameCaption(current.info) : "");
  };

  const objectUrl = (info: FrameInfo, buffer: DataView | ArrayBuffer | undefined) =>
    buffer && info.mime ? URL.createObjectURL(new Blob([buffer as BlobPart], { type: info.mime })) : "";
  const drop = (gone: Kept[]) => {
    for (const f of gone) if (f.url) URL.revokeObjectURL(f.url);
  };

  slider.addEventListener("input", () => {
    const value = Number(slider.value);
    shown = value >= frames.length - 1 ? -1 : value; // at the end: follow the newest again
    paint();
  });

  return {
    el,
    paint,
    add(info, buffer, first) {
      const chosen = shown >= 0 ? frames[shown]?.info.index : undefined;
      drop(keep(frames, { info, url: objectUrl(info, buffer) }, first, model.get("max_frames") || 50));
      if (chosen !== undefined)
        shown = Math.max(
          0,
          frames.findIndex((f) => f.info.index === chosen),
        );
      paint();
    },
    reset(infos, buffers) {
      // A snapshot again (the kernel offers a few): the frames this view already has keep
      // their images, so the one shown does not blink, and the slider stays where it was.
      const chosen = shown >= 0 ? frames[shown]?.info.index : undefined;
      const had = new Map(frames.splice(0).map((f) => [f.info.index, f]));
      for (const info of infos) {
        const old = had.get(info.index);
        if (old?.url && sameFrame(old.info, info)) {
          had.delete(info.index);
          frames.push({ info, url: old.url });
          continue;
        }
        const buffer = info.buffer === null || info.buffer === undefined ? undefined : buffers[info.buffer];
        frames.push({ info, url: objectUrl(info, buffer) });
      }
      drop([...had.values()]);
      const at = chosen === undefined ? -1 : frames.findIndex((f) => f.info.index === chosen);
      shown = at;
      paint();
    },
  };
}
