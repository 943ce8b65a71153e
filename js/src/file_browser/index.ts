// FileBrowser: a remote directory, browsed like JupyterLab's own file browser. A listing
// arrives as one message of compact rows; only the rows in sight are in the DOM (virtual
// scrolling), so a directory of 10,000 entries opens and scrolls smoothly. Previews (text,
// images, .npy arrays drawn on the kernel side) arrive as messages with binary buffers.

import { h, setText } from "../lib/dom";
import { requestSnapshot } from "../lib/protocol";
import { defineView } from "../lib/view";
import { list } from "./list";
import { join } from "./listing";
import { ROW_HEIGHT } from "./look";
import { previewPane } from "./preview";
import type { FromView, Listing, ToView } from "./protocol";
import { Browser, type Model } from "./state";
import { header, toolbar } from "./toolbar";

export default defineView<Model, ToView, FromView>("file browser", (view) => {
  const { model } = view;
  const b = new Browser(view);
  const head = header(b);
  const tools = toolbar(b, () => rows.rebuild());
  const rows = list(b, tools.filter, tools.up, tools.paintSelection);
  const preview = previewPane(b);
  const notice = h("div", { class: "sfj-message", "data-level": "error", "data-testid": "fb-error", hidden: true });
  const root = h(
    "div",
    { class: "sfj-root sfj-fb", "data-testid": "file-browser" },
    head.el,
    tools.el,
    tools.confirmEl,
    notice,
    tools.progressEl,
    h("div", { class: "sfj-fb__main" }, rows.el, preview.el),
  );
  root.style.setProperty("--sfj-fb-row-height", `${ROW_HEIGHT}px`);
  view.el.replaceChildren(root);

  const paintHeader = () => {
    head.paint();
    root.dataset.loading = String(model.get("loading"));
    const error = model.get("error");
    notice.hidden = !error;
    setText(notice, error);
    tools.paintLocalFiles();
  };
  const showListing = (listing: Listing | undefined) => {
    if (!listing) return;
    const changed = listing.path !== b.listedPath;
    b.listedPath = listing.path;
    b.rows = listing.entries ?? [];
    if (changed) {
      rows.scroller.scrollTop = 0;
      for (const p of Array.from(b.selected)) if (!p.startsWith(join(b.listedPath, ""))) b.selected.delete(p);
    }
    rows.rebuild();
    paintHeader();
  };

  const snapshot = requestSnapshot(model, () => {
    notice.hidden = false;
    notice.dataset.level = "info";
    setText(
      notice,
      "Saved view: the kernel that made this browser is not connected, and listings are not saved with the notebook. Run the cell again to browse.",
    );
  });
  view.cleanup(snapshot.cancel);
  view.onMessage((msg, buffers) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      showListing(msg.listing);
    } else if (msg.type === "listing") showListing({ path: msg.path ?? "", entries: msg.entries ?? [] });
    else if (msg.type === "preview") preview.show(msg, buffers);
  });
  view.watch(["selected"], () => {
    const now = model.get("selected") ?? [];
    if (now.join("\n") !== Array.from(b.selected).join("\n")) {
      b.selected.clear();
      for (const p of now) b.selected.add(p);
      rows.schedule();
    }
  });
  view.watch(["path", "loading", "error", "updated", "local_files", "cwd", "machine"], paintHeader);
  view.watch(["transfer"], tools.paintTransfer);
  const resize = new ResizeObserver(() => rows.schedule());
  resize.observe(rows.scroller);
  view.cleanup(() => resize.disconnect());
  paintHeader();
  tools.paintTransfer();
  rows.rebuild();
});
