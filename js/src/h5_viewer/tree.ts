// The file's tree: groups (open/close), datasets with shape, dtype, chunks, compression and
// attributes; a numeric dataset is a button that shows it.

import { h } from "../lib/dom";
import { humanBytes } from "../lib/format";
import type { H5Node } from "./protocol";

/** Whether a trait holds a tree (an empty dict until the machine answered). */
export const isNode = (tree: H5Node | Record<string, never>): tree is H5Node => typeof tree.path === "string";
const name = (node: H5Node) => (node.path === "/" ? "/" : node.path.slice(node.path.lastIndexOf("/") + 1));
const drawable = (node: H5Node) => !!node.shape?.length && node.dtype !== "str" && !/^(\||V|O)/.test(node.dtype ?? "");

/** One line of facts about a dataset. */
export function datasetFacts(node: H5Node): string {
  const parts = [`${(node.shape ?? []).join(" × ") || "scalar"}`, node.dtype ?? ""];
  if (node.chunks) parts.push(`chunks ${node.chunks.join("×")}`);
  const pipeline = node.filters?.length ? node.filters.join("+") : node.compression;
  if (pipeline) parts.push(pipeline);
  if (node.nbytes !== undefined)
    parts.push(
      `${humanBytes(node.nbytes)}${node.storage_bytes !== undefined ? ` (${humanBytes(node.storage_bytes)} on disk)` : ""}`,
    );
  return parts.filter(Boolean).join(" · ");
}

function attributes(node: H5Node): HTMLElement | null {
  const entries = Object.entries(node.attrs ?? {});
  if (!entries.length) return null;
  return h(
    "ul",
    { class: "sfj-h5__attrs" },
    ...entries.map(([key, value]) =>
      h("li", { class: "sfj-small", text: `@${key} = ${typeof value === "string" ? value : JSON.stringify(value)}` }),
    ),
  );
}

function item(node: H5Node, selected: string, onSelect: (path: string) => void): HTMLElement {
  if (node.kind === "link")
    return h("li", { class: "sfj-h5__node", "data-kind": "link", text: `${name(node)} → ${node.target ?? ""}` });
  if (node.kind === "dataset") {
    const label = drawable(node)
      ? h("button", {
          type: "button",
          class: "sfj-h5__dataset",
          "data-testid": "h5-dataset",
          "data-path": node.path,
          "aria-pressed": node.path === selected ? "true" : "false",
          text: name(node),
        })
      : h("span", { class: "sfj-h5__dataset", "data-path": node.path, text: name(node) });
    label.addEventListener("click", () => onSelect(node.path));
    return h(
      "li",
      { class: "sfj-h5__node", "data-kind": "dataset" },
      label,
      " ",
      h("span", { class: "sfj-muted sfj-small", text: datasetFacts(node) }),
      attributes(node),
    );
  }
  const children = (node.children ?? []).map((child) => item(child, selected, onSelect));
  if (node.truncated) children.push(h("li", { class: "sfj-muted sfj-small", text: "… more not listed" }));
  const summary = h("summary", { text: `${name(node)}${node.path === "/" ? "" : "/"}` });
  return h(
    "li",
    { class: "sfj-h5__node", "data-kind": "group" },
    h("details", { open: true }, summary, attributes(node), h("ul", {}, ...children)),
  );
}

/** The tree section; `paint(tree, selected)` redraws it. */
export function treeSection(onSelect: (path: string) => void): {
  el: HTMLElement;
  paint: (tree: H5Node | Record<string, never>, selected: string) => void;
} {
  const el = h("div", { class: "sfj-h5__tree", "data-testid": "h5-tree" });
  const paint = (tree: H5Node | Record<string, never>, selected: string) => {
    if (!isNode(tree))
      el.replaceChildren(h("div", { class: "sfj-muted", text: "Reading the file's tree on the machine…" }));
    else el.replaceChildren(h("ul", { class: "sfj-h5__root" }, item(tree, selected, onSelect)));
  };
  return { el, paint };
}

/** The node at `path` in `tree`, if any. */
export function findNode(tree: H5Node | Record<string, never>, path: string): H5Node | undefined {
  if (!isNode(tree)) return undefined;
  if (tree.path === path) return tree;
  for (const child of tree.children ?? []) {
    const found = findNode(child, path);
    if (found) return found;
  }
  return undefined;
}
