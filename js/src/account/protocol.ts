// AccountView's messages (sfapi_jupyter/widgets/account.py): none. Everything it shows is in
// traits, saved with the notebook, so a saved view needs no kernel.

export type ToView = never;
export type FromView = never;
