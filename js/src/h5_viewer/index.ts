// H5Viewer: an HDF5/EMD file on a machine, read where it lies: its tree, a 2-D slice of a
// dataset with a slider per other axis, and for a 4-D dataset the mean diffraction pattern
// with a detector to drag and the virtual image the machine computes for it.

import { h, setText } from "../lib/dom";
import { requestSnapshot } from "../lib/protocol";
import { paintMessage } from "../lib/ui";
import { defineView } from "../lib/view";
import { imagePanel } from "./images";
import { patternPanel } from "./pattern";
import type { Detector, FromView, H5Node, ToView } from "./protocol";
import { sliders } from "./slices";
import { findNode, treeSection } from "./tree";

interface Model {
  machine: string;
  path: string;
  tree: H5Node | Record<string, never>;
  dataset: string;
  mode: string;
  index: (number | null)[];
  detector: Detector | Record<string, never>;
  busy: string[];
  message: string;
  message_level: string;
}

/** Milliseconds a slider or a dragged detector rests before the machine is asked. */
export const SETTLE_MS = 150;

export default defineView<Model, ToView, FromView>("HDF5 viewer", (view) => {
  const { model } = view;
  const title = h("strong", { class: "sfj-card__name" });
  const where = h("code", { class: "sfj-path", "data-testid": "h5-path" });
  const note = h("div", { class: "sfj-message", "data-testid": "h5-message" });
  const tree = treeSection((dataset) => view.send({ type: "select", dataset }));
  const slice = imagePanel("Slice", "h5-slice");
  let pendingIndex: (number | null)[] = [];
  const sendSlice = view.debounce(SETTLE_MS, () => view.send({ type: "slice", index: pendingIndex }));
  const bars = sliders((index) => {
    pendingIndex = index;
    sendSlice.start();
  });
  slice.el.append(bars.el);
  let moving: Detector | null = null;
  const sendMove = view.debounce(
    SETTLE_MS,
    () => moving && view.send({ type: "detector", detector: moving, final: false }),
  );
  const pattern = patternPanel({
    onMove: (detector) => {
      moving = detector;
      sendMove.start();
    },
    onRelease: (detector) => {
      sendMove.cancel();
      view.send({ type: "detector", detector, final: true });
    },
  });
  const virtual = imagePanel("Virtual image", "h5-virtual");
  const images = h("div", { class: "sfj-h5__images" }, slice.el, pattern.el, virtual.el);
  const head = h("div", { class: "sfj-card__head" }, h("span", { class: "sfj-card__title" }, title, where));
  view.el.replaceChildren(
    h(
      "div",
      { class: "sfj-root sfj-h5", "data-testid": "h5-viewer" },
      head,
      note,
      h("div", { class: "sfj-h5__body" }, tree.el, images),
    ),
  );

  const paintTree = () => tree.paint(model.get("tree"), model.get("dataset"));
  const paintSliders = () => {
    const node = findNode(model.get("tree"), model.get("dataset"));
    bars.paint(model.get("mode") === "slice" ? model.get("index") : [], node?.shape ?? []);
  };
  const paintDetector = () => {
    const d = model.get("detector");
    pattern.setDetector(typeof d.kind === "string" ? (d as Detector) : null);
  };
  const paintBusy = () => {
    const busy = model.get("busy");
    slice.busy(busy.includes("slice"));
    pattern.busy(busy.includes("pattern"));
    virtual.busy(busy.includes("virtual"));
  };
  const paint = () => {
    setText(title, `HDF5 on ${model.get("machine")}`);
    setText(where, model.get("path"));
    paintMessage(note, model.get("message"), model.get("message_level"));
  };
  paint();
  paintTree();
  paintSliders();
  paintDetector();
  paintBusy();

  const snapshot = requestSnapshot(model, () => {
    paintMessage(
      note,
      "The kernel that made this view is not connected: the tree is as saved; images need a kernel.",
      "info",
    );
  });
  view.cleanup(snapshot.cancel);
  view.onMessage((msg, buffers) => {
    if (msg.type === "snapshot") snapshot.answered();
    else if (msg.type === "clear") {
      slice.clear();
      pattern.clear();
      virtual.clear();
    } else if (msg.type === "image" && buffers[0]) {
      const panel = msg.role === "slice" ? slice : msg.role === "pattern" ? pattern : virtual;
      panel.show(msg, buffers[0]);
      if (msg.role === "pattern") paintDetector();
    }
  });
  view.watch(["machine", "path", "message", "message_level"], paint);
  view.watch(["tree", "dataset"], paintTree);
  view.watch(["tree", "dataset", "mode", "index"], paintSliders);
  view.watch(["detector"], paintDetector);
  view.watch(["busy"], paintBusy);
});
