// What the FileBrowser's sections share: the model's traits, the listing shown, its order and
// the selection. Sections read it and repaint through the callbacks index.ts wires up.

import type { View } from "../lib/view";
import { join, type SortKey } from "./listing";
import type { FromView, Row, ToView } from "./protocol";

export interface Transfer {
  op?: string;
  name?: string;
  state?: string;
  done?: number;
  total?: number;
  message?: string;
  paths?: string[];
}

export interface Model {
  machine: string;
  path: string;
  home: string;
  selected: string[];
  loading: boolean;
  error: string;
  entry_count: number;
  transfer: Transfer;
  cwd: string;
  local_files: { name: string; size: number }[];
  updated: string;
}

export type FbView = View<Model, ToView, FromView>;

export class Browser {
  /** The listing as the kernel sent it, and as shown (filtered, sorted). */
  rows: Row[] = [];
  shown: Row[] = [];
  listedPath = "";
  sortKey: SortKey = "name";
  sortDir = 1;
  /** Index in `shown` of the last plain click (for shift-click ranges). */
  anchor = -1;
  previewPath = "";
  readonly selected: Set<string>;

  constructor(readonly view: FbView) {
    this.selected = new Set(view.model.get("selected") ?? []);
  }

  open(path: string): void {
    this.view.send({ type: "open", path });
  }

  pathOf(row: Row): string {
    return join(this.listedPath, row[0]);
  }

  kindOf(path: string): string {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return this.rows.find((r) => r[0] === name)?.[1] ?? "f";
  }

  /** The selected paths that are files (what Download takes). */
  selectedFiles(): string[] {
    return Array.from(this.selected).filter((p) => this.kindOf(p) !== "d");
  }

  /** Tell the kernel (and other views) what is selected. */
  publish(): void {
    this.view.model.set("selected", Array.from(this.selected));
    this.view.model.save_changes();
  }
}
