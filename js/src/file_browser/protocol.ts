// FileBrowser's messages (sfapi_jupyter/widgets/file_browser.py): listings and previews come
// as messages (a listing can be 10,000 rows; an image or array slice is a binary buffer).

import type { SnapshotRequest } from "../lib/protocol";

/** One entry: [name, kind (d/f/l), size, date, perms, user, group, link target]. */
export type Row = [string, string, number, string, string, string, string, string];

export interface Listing {
  path: string;
  entries: Row[];
}

export interface Preview {
  type: "preview";
  kind: string;
  path: string;
  message?: string;
  mime?: string;
  size?: number;
  head?: string[];
  tail?: string[];
  skipped?: number;
  total_lines?: number;
  shape?: number[];
  dtype?: string;
  index?: number[];
  slider_axes?: number[];
  vmin?: number;
  vmax?: number;
  colormap?: string[];
  note?: string;
  stride?: number;
}

export type ToView = { type: "snapshot"; listing?: Listing } | ({ type: "listing" } & Listing) | Preview;

export type FromView =
  | SnapshotRequest
  | { type: "open"; path: string }
  | { type: "refresh" }
  | { type: "preview"; path: string }
  | { type: "slice"; path: string; index: number[] }
  | { type: "download"; paths: string[]; overwrite?: boolean }
  | { type: "upload"; name: string; overwrite?: boolean }
  | { type: "local?" };
