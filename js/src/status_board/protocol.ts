// StatusBoard's messages (sfapi_jupyter/widgets/status_board.py): what it shows is in traits;
// the views say when they are on screen (the kernel refreshes only then) and pass on the
// Refresh and "Mark as seen" buttons.

// The kernel still pushes its (empty) snapshot to every view after display
// (SfWidget._push_snapshots_soon); this view draws from the traits alone and ignores it.
export type ToView = { type: "snapshot" };

export type FromView = { type: "visible"; view: string; value: boolean } | { type: "refresh" } | { type: "seen" };
