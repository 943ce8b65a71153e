// The one shape of a view: `defineView(name, build)` gives every widget's default export.
// `build` gets a `View`: the model, the element, and the registrations a view needs (trait
// changes, kernel messages, DOM events, timers), each removed when the view goes away, so no
// view keeps its own list of `model.off` calls.

import type { AnyModel, RenderProps } from "@anywidget/types";
import { loadError } from "./ui";

type Target = HTMLElement | Document | Window;

/** A message: a dict with a `type` (see lib/protocol.ts). */
export type Message = { type: string };

export class View<M extends object, ToView extends Message = never, FromView extends Message = never> {
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly model: AnyModel<M>,
    readonly el: HTMLElement,
  ) {}

  /** Call `fn` whenever one of `traits` changes. */
  watch(traits: readonly (keyof M & string)[], fn: () => void): void {
    for (const trait of traits) {
      const event = `change:${trait}` as const;
      this.model.on(event, fn);
      this.cleanups.push(() => this.model.off(event, fn));
    }
  }

  /** Call `fn` for each of the kernel's messages to this widget's views. */
  onMessage(fn: (msg: ToView, buffers: DataView[]) => void): void {
    const callback = (msg: unknown, buffers: DataView[]) => {
      if (msg && typeof msg === "object" && "type" in msg) fn(msg as ToView, buffers ?? []);
    };
    this.model.on("msg:custom", callback);
    this.cleanups.push(() => this.model.off("msg:custom", callback));
  }

  /** Send one of this widget's messages to the kernel. */
  send(msg: FromView): void {
    this.model.send(msg);
  }

  /** A DOM listener, removed with the view (elements of the view itself need none, but
   *  `document` and `window` outlive it). */
  listen<K extends keyof DocumentEventMap>(target: Target, type: K, fn: (ev: DocumentEventMap[K]) => void): void {
    target.addEventListener(type, fn as EventListener);
    this.cleanups.push(() => target.removeEventListener(type, fn as EventListener));
  }

  /** Run `fn` every `ms` milliseconds while the view lives. */
  every(ms: number, fn: () => void): void {
    const handle = window.setInterval(fn, ms);
    this.cleanups.push(() => window.clearInterval(handle));
  }

  /** A one-shot timer that a new `start` replaces (typing pauses, slider moves). */
  debounce(ms: number, fn: () => void): { start: () => void; flush: () => boolean; cancel: () => void } {
    let handle: number | null = null;
    const cancel = () => {
      if (handle !== null) window.clearTimeout(handle);
      handle = null;
    };
    this.cleanups.push(cancel);
    return {
      start() {
        cancel();
        handle = window.setTimeout(() => {
          handle = null;
          fn();
        }, ms);
      },
      /** Run now if pending; true if it was. */
      flush() {
        if (handle === null) return false;
        cancel();
        fn();
        return true;
      },
      cancel,
    };
  }

  /** Anything else to undo when the view goes away. */
  cleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Undo every registration, the last made first. */
  dispose(): void {
    for (const fn of this.cleanups.splice(0).reverse()) fn();
  }
}

/** A widget's default export: `render` builds the view with `build`, and shows a readable note
 *  instead of a stack trace if building fails. */
export function defineView<M extends object, ToView extends Message = never, FromView extends Message = never>(
  widget: string,
  build: (view: View<M, ToView, FromView>) => void,
): { render: (props: RenderProps<M>) => () => void } {
  return {
    render({ model, el }) {
      const view = new View<M, ToView, FromView>(model, el);
      try {
        build(view);
      } catch (error) {
        view.dispose();
        el.replaceChildren(loadError(widget, error));
        return () => undefined;
      }
      return () => view.dispose();
    },
  };
}
