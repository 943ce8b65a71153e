// SubmitForm: a batch script editor with its #SBATCH fields, checks, warnings and cost; after a
// submit, the job's live card (drawn by job_card's own view) with "Edit and submit again".
// The kernel owns the rules: a field edit is sent as {type: "field"} and comes back as a new
// script; a script edit is sent as {type: "script"} and comes back as new field values.

import jobCard from "../job_card";
import { h, setAttr, setText } from "../lib/dom";
import { requestSnapshot } from "../lib/protocol";
import { applyStateColours } from "../lib/states";
import { paintMessage } from "../lib/ui";
import { defineView } from "../lib/view";
import { checks } from "./checks";
import { editor } from "./editor";
import { fields } from "./fields";
import type { FormView, Model } from "./model";
import type { FromView, ToView } from "./protocol";

/** Why the submit button is off (null when it is on). */
export function submitBlocker(blocked: string, errors: number): string | null {
  if (blocked) return blocked;
  return errors ? `Fix the ${errors === 1 ? "error" : `${errors} errors`} above first` : null;
}

/** After a submit: the job's own card (its view on its own model) and "Edit and submit again". */
function jobPane(view: FormView): { el: HTMLElement; paint: () => boolean } {
  const { model } = view;
  const again = h("button", {
    class: "sfj-btn",
    type: "button",
    "data-testid": "edit-again",
    text: "Edit and submit again",
  });
  const label = h("span", { class: "sfj-muted", "data-testid": "form-job-label" });
  const cardBox = h("div", { "data-testid": "form-job-card" });
  const bar = h("div", { class: "sfj-form__jobbar" }, label, h("span", { class: "sfj-spacer" }), again);
  const el = h("div", { class: "sfj-form-job", "data-testid": "form-job", hidden: true }, bar, cardBox);
  again.addEventListener("click", () => view.send({ type: "view", value: "form" }));
  let shown: string | null = null;
  let unmount: (() => void) | null = null;
  view.cleanup(() => unmount?.());
  const mount = async (ref: string) => {
    const child = await model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, ""));
    if (shown !== ref) return;
    unmount?.();
    const box = h("div");
    cardBox.replaceChildren(box);
    // The card's own view, on the card's own model: it asks its kernel side for a snapshot.
    unmount = jobCard.render({ model: child, el: box } as unknown as Parameters<typeof jobCard.render>[0]);
  };
  /** Show the job (true) or the form. */
  const paint = () => {
    const ref = model.get("card");
    const jobs = model.get("submitted") ?? [];
    const last = jobs[jobs.length - 1];
    const showJob = model.get("view") === "job" && !!ref;
    el.hidden = !showJob;
    if (last) {
      const which = jobs.length === 1 ? "first submit" : `submit ${jobs.length}`;
      setText(label, `Job ${last.jobid} submitted from this form (${which}); the script is kept.`);
    }
    if (ref && ref !== shown) {
      shown = ref;
      void mount(ref);
    }
    return showJob;
  };
  return { el, paint };
}

export default defineView<Model, ToView, FromView>("submit form", (view) => {
  const { model } = view;
  const fieldsPart = fields(view);
  const script = editor(view);
  const checksPart = checks(view, script.selectLine);
  const blocked = h("div", { class: "sfj-form__blocked", role: "alert", "data-testid": "form-blocked", hidden: true });
  const submit = h("button", {
    class: "sfj-btn sfj-btn--primary",
    type: "button",
    "data-testid": "submit-button",
    text: "Submit job",
  });
  const busy = h("span", { class: "sfj-form__busy", "data-testid": "form-busy" });
  const message = h("div", { class: "sfj-message", role: "status", "data-testid": "form-message", hidden: true });
  const lastJob = h("button", {
    class: "sfj-btn sfj-btn--flat",
    type: "button",
    "data-testid": "show-job",
    hidden: true,
  });
  const machineLabel = h("span", { class: "sfj-muted", "data-testid": "form-machine-label" });
  const name = h("span", { class: "sfj-card__name", text: "Batch job" });
  const title = h("div", { class: "sfj-card__head" }, name, machineLabel, h("span", { class: "sfj-spacer" }), lastJob);
  const grid = h("div", { class: "sfj-form__grid" }, fieldsPart.el, script.el);
  const actions = h("div", { class: "sfj-form__actions" }, submit, busy);
  const form = h(
    "div",
    { class: "sfj-card sfj-form", "data-testid": "submit-form" },
    title,
    grid,
    ...checksPart.el,
    blocked,
    actions,
    message,
  );
  const job = jobPane(view);
  const root = h("div", { class: "sfj-root" }, form, job.el);
  applyStateColours(root);
  view.el.replaceChildren(root);

  const paintState = () => {
    const why = model.get("blocked");
    blocked.hidden = !why;
    setText(blocked, why);
    const errors = (model.get("issues") ?? []).filter((i) => i.severity === "error").length;
    const b = model.get("busy");
    submit.disabled = !!why || errors > 0 || b === "submitting" || !model.get("script").trim();
    setAttr(submit, "title", submitBlocker(why, errors));
    setText(submit, b === "submitting" ? "Submitting…" : `Submit to ${model.get("machine")}`);
    setText(busy, b === "checking" ? "checking the machine's status…" : "");
    paintMessage(message, model.get("message"), model.get("message_level"));
    const jobs = model.get("submitted") ?? [];
    const last = jobs[jobs.length - 1];
    lastJob.hidden = !last;
    if (last) setText(lastJob, `Show job ${last.jobid} →`);
    setText(machineLabel, `on ${model.get("machine")}`);
  };
  const paintView = () => {
    form.hidden = job.paint();
  };
  const paintAll = () => {
    fieldsPart.paint();
    script.paint();
    checksPart.paint();
    paintState();
    paintView();
  };
  paintAll();

  submit.addEventListener("click", () => {
    script.flush();
    view.send({ type: "submit" });
  });
  lastJob.addEventListener("click", () => view.send({ type: "view", value: "job" }));
  const snapshot = requestSnapshot(model, () => undefined);
  view.cleanup(snapshot.cancel);
  view.onMessage((msg) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      paintAll();
    }
  });
  view.watch(["issues", "blocked", "busy", "message", "message_level", "submitted", "machine", "script"], paintState);
  view.watch(["view", "card", "submitted"], paintView);
});
