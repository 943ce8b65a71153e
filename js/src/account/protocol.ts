// AccountView's messages (sfapi_jupyter/widgets/account.py): none of its own. Everything it
// shows is in traits, saved with the notebook, so a saved view needs no kernel.

// The kernel still pushes its (empty) snapshot to every view after display
// (SfWidget._push_snapshots_soon); this view draws from the traits alone and ignores it.
export type ToView = { type: "snapshot" };
export type FromView = never;
