// A fake anywidget model for the views' unit tests (vitest + jsdom): traits in a dict,
// listeners by event, and a record of what the view sent and saved. The kernel's side is
// played by the test: `kernelSet` changes a trait as the kernel would (firing change:*), and
// `kernelSend` delivers a custom message.

import type { AnyModel } from "@anywidget/types";

type Handler = (...args: unknown[]) => void;

export class FakeModel<T extends object> {
  private readonly traits: T;
  private readonly handlers = new Map<string, Set<Handler>>();
  /** Messages the view sent to the kernel, oldest first. */
  readonly sent: { type: string; [key: string]: unknown }[] = [];
  /** How many times the view called save_changes. */
  saves = 0;
  /** Models other widgets can reach through widget_manager.get_model (by model id). */
  readonly others = new Map<string, unknown>();
  readonly widget_manager = {
    get_model: async (id: string) => {
      const model = this.others.get(id);
      if (!model) throw new Error(`no model ${id}`);
      return model;
    },
  };

  constructor(traits: T) {
    this.traits = { ...traits };
  }

  get<K extends keyof T>(key: K): T[K] {
    return this.traits[key];
  }

  /** The view sets a trait (it is synced at save_changes). */
  set<K extends keyof T>(key: K, value: T[K]): void {
    this.traits[key] = value;
    this.emit(`change:${String(key)}`);
  }

  save_changes(): void {
    this.saves += 1;
  }

  send(content: { type: string }): void {
    this.sent.push(content);
  }

  on(event: string, fn: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(fn);
  }

  off(event?: string | null, fn?: Handler | null): void {
    if (!event) this.handlers.clear();
    else if (!fn) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(fn);
  }

  /** How many listeners are registered (all events): a view's cleanup brings it back to 0. */
  listenerCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }

  /** The kernel changes traits: each fires its change event, as the widget's sync does. */
  kernelSet(changes: Partial<T>): void {
    Object.assign(this.traits, changes);
    for (const key of Object.keys(changes)) this.emit(`change:${key}`);
  }

  /** The kernel sends a custom message (with binary buffers, if any). */
  kernelSend(msg: unknown, buffers: DataView[] = []): void {
    this.emit("msg:custom", msg, buffers);
  }

  /** The messages sent of one type. */
  sentOf(type: string): { type: string; [key: string]: unknown }[] {
    return this.sent.filter((m) => m.type === type);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const fn of Array.from(this.handlers.get(event) ?? [])) fn(...args);
  }

  /** This fake as the model type the views take. */
  asModel(): AnyModel<T> {
    return this as unknown as AnyModel<T>;
  }
}

const mounted = new Set<() => void>();

/** Take down every view still mounted (setup.ts runs it after each test). */
export function unmountAll(): void {
  for (const unmount of Array.from(mounted)) unmount();
}

/** Render `widget` (a default export of a view) on a fake model with `traits`, in a fresh
 *  element attached to the document (so focus and layout queries work). It is unmounted after
 *  the test unless the test does it first. */
export function mount<T extends object>(
  widget: { render: (props: never) => () => void },
  traits: T,
): { model: FakeModel<T>; el: HTMLElement; unmount: () => void } {
  const model = new FakeModel(traits);
  const el = document.createElement("div");
  document.body.append(el);
  const render = widget.render as unknown as (props: { model: AnyModel<T>; el: HTMLElement }) => () => void;
  const cleanup = render({ model: model.asModel(), el });
  const unmount = () => {
    if (!mounted.delete(unmount)) return;
    cleanup();
    el.remove();
  };
  mounted.add(unmount);
  return { model, el, unmount };
}

/** The element with `data-testid="<id>"` under `el` (fails the test if there is none). */
export function byTestId<E extends HTMLElement = HTMLElement>(el: ParentNode, id: string): E {
  const found = el.querySelector<E>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`no [data-testid="${id}"]`);
  return found;
}

export function allByTestId<E extends HTMLElement = HTMLElement>(el: ParentNode, id: string): E[] {
  return Array.from(el.querySelectorAll<E>(`[data-testid="${id}"]`));
}

/** Wait for the next animation frame (views coalesce repaints into one per frame). */
export const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
