// H5Viewer's messages (sfapi_jupyter/widgets/h5_viewer.py): the tree is a trait; each image
// (a slice, the mean diffraction pattern, a virtual image) comes as an `image` message with
// its PNG in a binary buffer.

import type { SnapshotRequest } from "../lib/protocol";

/** A tree node as the machine sent it (H5Node.as_dict()). */
export interface H5Node {
  path: string;
  kind: "group" | "dataset" | "link";
  attrs?: Record<string, unknown>;
  children?: H5Node[];
  shape?: number[];
  dtype?: string;
  chunks?: number[] | null;
  compression?: string | null;
  compression_opts?: unknown;
  filters?: string[];
  nbytes?: number;
  storage_bytes?: number;
  target?: string;
  truncated?: boolean;
}

export type Role = "slice" | "pattern" | "virtual";

/** How an image was made, and its value range. */
export interface ImageInfo {
  type: "image";
  role: Role;
  dataset: string;
  /** The full result's shape (the PNG may be binned by `binned`). */
  shape: number[];
  binned: number;
  scan_step: number;
  seconds: number;
  vmin: number;
  vmax: number;
  log: boolean;
  pixels?: number | null;
}

/** A detector in the full pattern's pixels: a bright-field disc or an annular dark-field ring. */
export type Detector =
  | { kind: "bf"; row: number; col: number; radius: number }
  | { kind: "adf"; row: number; col: number; inner: number; outer: number };

export type ToView = { type: "snapshot" } | { type: "clear" } | ImageInfo;

export type FromView =
  | SnapshotRequest
  | { type: "select"; dataset: string }
  | { type: "slice"; index: (number | null)[] }
  | { type: "detector"; detector: Detector; final: boolean };
