// StatusBoard's messages (sfapi_jupyter/widgets/status_board.py): what it shows is in traits;
// the views say when they are on screen (the kernel refreshes only then) and pass on the
// Refresh and "Mark as seen" buttons.

export type ToView = never;

export type FromView = { type: "visible"; view: string; value: boolean } | { type: "refresh" } | { type: "seen" };
