// The SubmitForm's #SBATCH fields: machine, account, QOS, constraint, nodes, time, job name.
// An edit goes to the kernel when typing pauses (or at once for a list); what comes back is
// painted unless the user is in the field.

import { h } from "../lib/dom";
import { FIELDS, type Field, type FormView, hours, select, setOptions, TYPING_MS } from "./model";

/** The account choices: the default project, the user's projects with their hours left, and a
 *  value that is none of them, said so. */
export function accountOptions(
  accounts: { name: string; cpu_left: number | null; gpu_left: number | null }[],
  current: string,
  fallback: string,
): [string, string][] {
  const options: [string, string][] = [["", fallback ? `default (${fallback})` : "default project"]];
  for (const a of accounts)
    options.push([a.name, `${a.name} · ${hours(a.cpu_left)} CPU h, ${hours(a.gpu_left)} GPU h left`]);
  if (current && !accounts.some((a) => a.name === current))
    options.push([current, `${current} (not one of your projects)`]);
  return options;
}

export function fields(view: FormView): { el: HTMLElement; paint: () => void } {
  const { model } = view;
  const machine = select("field-machine", "Machine");
  const account = select("field-account", "Account (project)");
  const qos = select("field-qos", "QOS");
  const constraint = select("field-constraint", "Constraint");
  const input = (type: string, placeholder: string, field: Field, label: string) =>
    h("input", { class: "sfj-input", type, placeholder, "data-testid": `field-${field}`, "aria-label": label });
  const nodes = input("number", "1", "nodes", "Nodes");
  nodes.min = "1";
  nodes.step = "1";
  const time = input("text", "HH:MM:SS", "time", "Time limit");
  const jobName = input("text", "job name", "job_name", "Job name");
  const inputs: Record<Field, HTMLInputElement | HTMLSelectElement> = {
    job_name: jobName,
    account,
    qos,
    constraint,
    nodes,
    time,
  };
  const row = (label: string, el: HTMLElement) => [h("label", { text: label }), el];
  const el = h(
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

  const paint = () => {
    setOptions(
      machine,
      (model.get("machines") ?? []).map((m) => [m, m]),
      model.get("machine"),
    );
    const current = model.get("account");
    setOptions(account, accountOptions(model.get("accounts") ?? [], current, model.get("default_account")), current);
    const q = model.get("qos");
    const qopts: [string, string][] = [
      ["", "default (regular)"],
      ...(model.get("qos_names") ?? []).map((n): [string, string] => [n, n]),
    ];
    if (q && !qopts.some(([v]) => v === q)) qopts.push([q, `${q} (unknown)`]);
    setOptions(qos, qopts, q);
    const c = model.get("constraint");
    const copts: [string, string][] = [
      ["", "none"],
      ["cpu", "cpu"],
      ["gpu", "gpu"],
    ];
    if (c && !copts.some(([v]) => v === c)) copts.push([c, c]);
    setOptions(constraint, copts, c);
    for (const [box, field] of [
      [nodes, "nodes"],
      [time, "time"],
      [jobName, "job_name"],
    ] as const) {
      const value = model.get(field);
      if (document.activeElement !== box && box.value !== value) box.value = value;
    }
  };

  for (const field of FIELDS) {
    const box = inputs[field];
    const flush = () => {
      if (box.value !== model.get(field)) view.send({ type: "field", name: field, value: box.value });
    };
    if (box instanceof HTMLSelectElement) {
      box.addEventListener("change", flush);
      continue;
    }
    const typing = view.debounce(TYPING_MS, flush);
    box.addEventListener("input", typing.start);
    box.addEventListener("change", () => {
      typing.cancel();
      flush();
    });
    box.addEventListener("blur", () => {
      typing.cancel();
      flush();
      paint();
    });
    box.addEventListener("keydown", (ev) => ev.stopPropagation());
  }
  machine.addEventListener("change", () => view.send({ type: "machine", value: machine.value }));
  view.watch(["machine", "machines", "accounts", "default_account", "qos_names", ...FIELDS], paint);
  return { el, paint };
}
