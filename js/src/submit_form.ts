// SubmitForm: a batch script editor with its #SBATCH fields, checks, warnings and cost; after a
// submit, the job's live card (drawn by job_card's own view) with "Edit and submit again".
// The kernel owns the rules: a field edit is sent as {type: "field"} and comes back as a new
// script; a script edit is sent as {type: "script"} and comes back as new field values.

import type { AnyModel } from "@anywidget/types";
import jobCard from "./job_card";
import { h, setAttr, setText } from "./lib/dom";
import { injectCss } from "./lib/inject_css";
import { requestSnapshot, subscribe } from "./lib/protocol";
import { applyStateColours } from "./lib/states";
import { guardedRender } from "./lib/ui";

interface Issue {
  line: number | null;
  severity: string;
  message: string;
}
interface Account {
  name: string;
  description: string;
  cpu_left: number | null;
  gpu_left: number | null;
}
interface Cost {
  node_hours?: number | null;
  kind?: string;
  project?: string;
  left?: number | null;
  assumed_time?: boolean;
  over?: boolean;
}
interface Model {
  script: string;
  machine: string;
  machines: string[];
  job_name: string;
  account: string;
  qos: string;
  constraint: string;
  nodes: string;
  time: string;
  accounts: Account[];
  default_account: string;
  qos_names: string[];
  issues: Issue[];
  warnings: string[];
  cost: Cost;
  blocked: string;
  busy: string;
  message: string;
  message_level: string;
  view: string;
  card: string | null;
  submitted: { jobid: string; machine: string; name: string }[];
}

const FIELDS = ["job_name", "account", "qos", "constraint", "nodes", "time"] as const;
type Field = (typeof FIELDS)[number];
const TYPING_MS = 350;

const CSS = `
.sfj-form__grid { display: grid; grid-template-columns: minmax(220px, 280px) minmax(0, 1fr); gap: 14px; margin-top: 10px; }
@media (max-width: 760px) { .sfj-form__grid { grid-template-columns: minmax(0, 1fr); } }
.sfj-form__fields { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 7px 10px; align-content: start; }
.sfj-form__fields label { color: var(--sfj-muted); font-size: 0.92em; align-self: center; white-space: nowrap; }
.sfj-form__fields .sfj-input { width: 100%; min-width: 0; }
.sfj-form__hint { grid-column: 2; font-size: 0.82em; color: var(--sfj-muted); margin-top: -4px; }
.sfj-form__editor { display: flex; flex-direction: column; min-width: 0; }
.sfj-form__editor-head { display: flex; align-items: baseline; gap: 8px; color: var(--sfj-muted); font-size: 0.9em; margin-bottom: 4px; }
.sfj-form__script { width: 100%; min-height: 250px; resize: vertical; padding: 8px 10px; border-radius: 6px;
  border: 1px solid var(--sfj-border); background: var(--sfj-code-bg); color: var(--jp-content-font-color1, var(--sfj-fg));
  font-family: var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace); font-size: var(--jp-code-font-size, 12.5px);
  line-height: 1.5; tab-size: 4; white-space: pre; }
.sfj-form__script:focus-visible { outline: 2px solid var(--sfj-accent); outline-offset: 1px; }
.sfj-form__checks { list-style: none; margin: 10px 0 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.sfj-form__check { padding: 4px 10px; border-left: 4px solid var(--sfj-pending); background: var(--sfj-bg2); border-radius: 0 4px 4px 0; cursor: default; }
.sfj-form__check[data-severity="error"] { border-left-color: var(--sfj-failed); }
.sfj-form__check[data-line] { cursor: pointer; }
.sfj-form__check b { margin-right: 6px; }
.sfj-form__cost { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-top: 10px; font-variant-numeric: tabular-nums; }
.sfj-form__cost[data-over="true"] .sfj-form__cost-value { color: var(--sfj-failed); }
.sfj-form__meter { width: 180px; height: 8px; border-radius: 4px; background: var(--sfj-bg2); border: 1px solid var(--sfj-border); overflow: hidden; }
.sfj-form__meter > div { height: 100%; background: var(--sfj-completed); }
.sfj-form__cost[data-over="true"] .sfj-form__meter > div { background: var(--sfj-failed); }
.sfj-form__actions { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-top: 12px; }
.sfj-btn--primary { background: var(--sfj-accent); border-color: var(--sfj-accent); color: var(--sfj-on-colour); font-weight: 600; padding: 6px 16px; }
.sfj-form__blocked { margin-top: 10px; padding: 8px 12px; border: 1px solid var(--sfj-failed); border-left-width: 5px; border-radius: 6px; background: var(--sfj-bg2); }
.sfj-form__jobbar { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-bottom: 6px; }
.sfj-form__busy { font-size: 0.88em; color: var(--sfj-muted); }
`;

function select(testid: string, label: string): HTMLSelectElement {
  return h("select", { class: "sfj-input", "data-testid": testid, "aria-label": label });
}

function setOptions(sel: HTMLSelectElement, options: [string, string][], value: string): void {
  const key = JSON.stringify(options);
  if (sel.dataset.options !== key) {
    sel.dataset.options = key;
    sel.replaceChildren(...options.map(([v, text]) => h("option", { value: v, text })));
  }
  if (sel.value !== value) sel.value = value;
}

function hours(value: number | null | undefined): string {
  if (value === null || value === undefined) return "?";
  return value.toLocaleString(undefined, { maximumFractionDigits: 1 });
}

function draw(model: AnyModel<Model>, el: HTMLElement): () => void {
  injectCss("submit_form", CSS);
  const cleanups: (() => void)[] = [];
  const on = (event: string, fn: () => void) => {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  };
  const send = (msg: Record<string, unknown>) => model.send(msg);

  // -- fields -------------------------------------------------------------------------------
  const machine = select("field-machine", "Machine");
  const account = select("field-account", "Account (project)");
  const qos = select("field-qos", "QOS");
  const constraint = select("field-constraint", "Constraint");
  const nodes = h("input", { class: "sfj-input", type: "number", min: 1, step: 1, placeholder: "1", "data-testid": "field-nodes", "aria-label": "Nodes" });
  const time = h("input", { class: "sfj-input", type: "text", placeholder: "HH:MM:SS", "data-testid": "field-time", "aria-label": "Time limit" });
  const jobName = h("input", { class: "sfj-input", type: "text", placeholder: "job name", "data-testid": "field-job_name", "aria-label": "Job name" });
  const inputs: Record<Field, HTMLInputElement | HTMLSelectElement> = { job_name: jobName, account, qos, constraint, nodes, time };
  const row = (label: string, input: HTMLElement) => [h("label", { text: label }), input];
  const fields = h(
    "div",
    { class: "sfj-form__fields", "data-testid": "form-fields" },
    ...row("Machine", machine),
    ...row("Account", account),
    ...row("QOS", qos),
    ...row("Constraint", constraint),
    ...row("Nodes", nodes),
    ...row("Time limit", time),
    h("div", { class: "sfj-form__hint", text: "HH:MM:SS, MM or D-HH:MM:SS" }),
    ...row("Job name", jobName),
  );

  // -- editor -------------------------------------------------------------------------------
  const editor = h("textarea", { class: "sfj-form__script", spellcheck: "false", "data-testid": "script-editor", "aria-label": "Batch script" });
  const lineInfo = h("span", { class: "sfj-small" });
  const editorBox = h("div", { class: "sfj-form__editor" }, h("div", { class: "sfj-form__editor-head" }, h("strong", { text: "Batch script" }), lineInfo), editor);

  // -- checks, cost, actions -----------------------------------------------------------------
  const checks = h("ul", { class: "sfj-form__checks", "data-testid": "form-checks", "aria-label": "Checks before submit" });
  const costValue = h("span", { class: "sfj-form__cost-value", "data-testid": "form-cost" });
  const meterFill = h("div");
  const meter = h("div", { class: "sfj-form__meter", title: "share of the project's hours left" }, meterFill);
  const cost = h("div", { class: "sfj-form__cost" }, h("span", { class: "sfj-fact__label", text: "Cost" }), costValue, meter);
  const blocked = h("div", { class: "sfj-form__blocked", role: "alert", "data-testid": "form-blocked", hidden: true });
  const submit = h("button", { class: "sfj-btn sfj-btn--primary", type: "button", "data-testid": "submit-button", text: "Submit job" });
  const busy = h("span", { class: "sfj-form__busy", "data-testid": "form-busy" });
  const message = h("div", { class: "sfj-message", role: "status", "data-testid": "form-message", hidden: true });
  const actions = h("div", { class: "sfj-form__actions" }, submit, busy);
  const lastJob = h("button", { class: "sfj-btn sfj-btn--flat", type: "button", "data-testid": "show-job", hidden: true });
  const title = h("div", { class: "sfj-card__head" }, h("span", { class: "sfj-card__name", text: "Batch job" }), h("span", { class: "sfj-muted", "data-testid": "form-machine-label" }), h("span", { class: "sfj-spacer" }), lastJob);
  const formView = h("div", { class: "sfj-card sfj-form", "data-testid": "submit-form" }, title, h("div", { class: "sfj-form__grid" }, fields, editorBox), checks, cost, blocked, actions, message);

  // -- job view -----------------------------------------------------------------------------
  const again = h("button", { class: "sfj-btn", type: "button", "data-testid": "edit-again", text: "Edit and submit again" });
  const jobLabel = h("span", { class: "sfj-muted", "data-testid": "form-job-label" });
  const cardBox = h("div", { "data-testid": "form-job-card" });
  const jobView = h("div", { class: "sfj-form-job", "data-testid": "form-job", hidden: true }, h("div", { class: "sfj-form__jobbar" }, jobLabel, h("span", { class: "sfj-spacer" }), again), cardBox);

  const root = h("div", { class: "sfj-root" }, formView, jobView);
  applyStateColours(root);
  el.replaceChildren(root);

  // -- painting ------------------------------------------------------------------------------
  const paintFields = () => {
    const machines = model.get("machines") ?? [];
    setOptions(machine, machines.map((m) => [m, m]), model.get("machine"));
    const accounts = model.get("accounts") ?? [];
    const current = model.get("account");
    const def = model.get("default_account");
    const options: [string, string][] = [["", def ? `default (${def})` : "default project"]];
    for (const a of accounts) options.push([a.name, `${a.name} · ${hours(a.cpu_left)} CPU h, ${hours(a.gpu_left)} GPU h left`]);
    if (current && !accounts.some((a) => a.name === current)) options.push([current, `${current} (not one of your projects)`]);
    setOptions(account, options, current);
    const q = model.get("qos");
    const qopts: [string, string][] = [["", "default (regular)"], ...(model.get("qos_names") ?? []).map((n): [string, string] => [n, n])];
    if (q && !qopts.some(([v]) => v === q)) qopts.push([q, `${q} (unknown)`]);
    setOptions(qos, qopts, q);
    const c = model.get("constraint");
    const copts: [string, string][] = [["", "none"], ["cpu", "cpu"], ["gpu", "gpu"]];
    if (c && !copts.some(([v]) => v === c)) copts.push([c, c]);
    setOptions(constraint, copts, c);
    for (const [input, field] of [[nodes, "nodes"], [time, "time"], [jobName, "job_name"]] as const) {
      const value = model.get(field);
      if (document.activeElement !== input && input.value !== value) input.value = value;
    }
    setText(title.children[1], `on ${model.get("machine")}`);
  };
  const paintScript = () => {
    const text = model.get("script");
    if (document.activeElement !== editor && editor.value !== text) editor.value = text;
    const count = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    setText(lineInfo, `${count} lines · ${model.get("machine")}`);
  };
  const paintChecks = () => {
    const issues = model.get("issues") ?? [];
    const warnings = model.get("warnings") ?? [];
    const items: HTMLElement[] = [];
    for (const issue of issues) {
      const item = h("li", { class: "sfj-form__check", "data-severity": issue.severity, "data-line": issue.line ?? null, title: issue.line ? "Show this line in the script" : null }, h("b", { text: issue.severity === "error" ? "Error" : "Warning" }), issue.line ? `line ${issue.line}: ` : "", issue.message);
      if (issue.line) item.addEventListener("click", () => selectLine(issue.line as number));
      items.push(item);
    }
    for (const text of warnings) items.push(h("li", { class: "sfj-form__check", "data-severity": "warning", "data-kind": "notice" }, h("b", { text: "Warning" }), text));
    if (!items.length) items.push(h("li", { class: "sfj-form__check", "data-severity": "ok", style: "border-left-color: var(--sfj-completed)" }, h("b", { text: "OK" }), "No problems found in the script."));
    checks.replaceChildren(...items);
    const c = model.get("cost") ?? {};
    cost.hidden = c.node_hours === undefined || c.node_hours === null;
    if (!cost.hidden) {
      let text = `${hours(c.node_hours)} ${c.kind ?? "CPU"} node-hour${c.node_hours === 1 ? "" : "s"}`;
      if (c.assumed_time) text += " (no time limit: counted at 48 h)";
      if (c.project && c.left !== null && c.left !== undefined) text += ` of the ${hours(c.left)} left in ${c.project}`;
      setText(costValue, text);
      setAttr(cost, "data-over", String(!!c.over));
      const share = c.left ? Math.min(1, (c.node_hours ?? 0) / Math.max(c.left, 1e-9)) : c.over ? 1 : 0;
      meter.hidden = c.left === null || c.left === undefined;
      meterFill.style.width = `${Math.max(share * 100, share > 0 ? 2 : 0)}%`;
    }
  };
  const paintState = () => {
    const why = model.get("blocked");
    blocked.hidden = !why;
    setText(blocked, why);
    const errors = (model.get("issues") ?? []).filter((i) => i.severity === "error").length;
    const b = model.get("busy");
    submit.disabled = !!why || errors > 0 || b === "submitting" || !model.get("script").trim();
    setAttr(submit, "title", why ? why : errors ? `Fix the ${errors === 1 ? "error" : `${errors} errors`} above first` : null);
    setText(submit, b === "submitting" ? "Submitting…" : `Submit to ${model.get("machine")}`);
    setText(busy, b === "checking" ? "checking the machine's status…" : "");
    const text = model.get("message");
    message.hidden = !text;
    setText(message, text);
    setAttr(message, "data-level", model.get("message_level") || "info");
    const jobs = model.get("submitted") ?? [];
    const last = jobs[jobs.length - 1];
    lastJob.hidden = !last;
    if (last) setText(lastJob, `Show job ${last.jobid} →`);
  };
  let shownCard: string | null = null;
  let cardCleanup: (() => void) | null = null;
  const paintView = () => {
    const view = model.get("view");
    const ref = model.get("card");
    const jobs = model.get("submitted") ?? [];
    const last = jobs[jobs.length - 1];
    const showJob = view === "job" && !!ref;
    jobView.hidden = !showJob;
    formView.hidden = showJob;
    if (last) setText(jobLabel, `Job ${last.jobid} submitted from this form (${jobs.length === 1 ? "first submit" : `submit ${jobs.length}`}); the script is kept.`);
    if (ref && ref !== shownCard) {
      shownCard = ref;
      void mountCard(ref);
    }
  };
  const mountCard = async (ref: string) => {
    const child = await model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, ""));
    if (shownCard !== ref) return;
    if (cardCleanup) cardCleanup();
    const box = h("div");
    cardBox.replaceChildren(box);
    // The card's own view, on the card's own model: it asks its kernel side for a snapshot.
    const result = jobCard.render({ model: child, el: box } as unknown as Parameters<typeof jobCard.render>[0]);
    cardCleanup = typeof result === "function" ? result : null;
  };
  const paintAll = () => {
    paintFields();
    paintScript();
    paintChecks();
    paintState();
    paintView();
  };
  paintAll();

  const selectLine = (line: number) => {
    const lines = editor.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    editor.focus();
    editor.setSelectionRange(start, start + (lines[line - 1] ?? "").length);
    const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
    editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
  };

  // -- user actions --------------------------------------------------------------------------
  let scriptTimer: number | null = null;
  editor.addEventListener("input", () => {
    if (scriptTimer !== null) window.clearTimeout(scriptTimer);
    scriptTimer = window.setTimeout(() => {
      scriptTimer = null;
      send({ type: "script", value: editor.value });
    }, TYPING_MS);
  });
  editor.addEventListener("blur", () => {
    if (scriptTimer !== null) {
      window.clearTimeout(scriptTimer);
      scriptTimer = null;
      send({ type: "script", value: editor.value });
    }
    paintScript();
  });
  editor.addEventListener("keydown", (ev) => {
    if (ev.key === "Tab" && !ev.shiftKey) {
      ev.preventDefault();
      editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
      editor.dispatchEvent(new Event("input"));
    }
    ev.stopPropagation(); // keep Jupyter's command-mode shortcuts out of the editor
  });
  for (const field of FIELDS) {
    const input = inputs[field];
    let timer: number | null = null;
    const flush = () => {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
      if (input.value !== model.get(field)) send({ type: "field", name: field, value: input.value });
    };
    if (input instanceof HTMLSelectElement) input.addEventListener("change", flush);
    else {
      input.addEventListener("input", () => {
        if (timer !== null) window.clearTimeout(timer);
        timer = window.setTimeout(flush, TYPING_MS);
      });
      input.addEventListener("change", flush);
      input.addEventListener("blur", () => {
        flush();
        paintFields();
      });
      input.addEventListener("keydown", (ev) => ev.stopPropagation());
    }
  }
  machine.addEventListener("change", () => send({ type: "machine", value: machine.value }));
  submit.addEventListener("click", () => {
    if (scriptTimer !== null) {
      window.clearTimeout(scriptTimer);
      scriptTimer = null;
      send({ type: "script", value: editor.value });
    }
    send({ type: "submit" });
  });
  again.addEventListener("click", () => send({ type: "view", value: "form" }));
  lastJob.addEventListener("click", () => send({ type: "view", value: "job" }));

  const snapshot = requestSnapshot(model, () => undefined);
  const off = subscribe(model, (msg) => {
    if (msg.type === "snapshot") {
      snapshot.answered();
      paintAll();
    }
  });
  for (const f of ["machine", "machines", "accounts", "default_account", "qos_names", ...FIELDS]) on(`change:${f}`, paintFields);
  on("change:script", paintScript);
  on("change:machine", paintScript);
  for (const f of ["issues", "warnings", "cost"]) on(`change:${f}`, paintChecks);
  for (const f of ["issues", "blocked", "busy", "message", "message_level", "submitted", "machine", "script"]) on(`change:${f}`, paintState);
  for (const f of ["view", "card", "submitted"]) on(`change:${f}`, paintView);
  return () => {
    off();
    snapshot.cancel();
    if (scriptTimer !== null) window.clearTimeout(scriptTimer);
    if (cardCleanup) cardCleanup();
    for (const fn of cleanups) fn();
  };
}

export default { render: guardedRender<Model>("submit form", draw) };
