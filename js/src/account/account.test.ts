import { describe, expect, it } from "vitest";
import { allByTestId, byTestId, mount } from "../lib/testing/fake_model";
import widget, { type Model } from "./index";

const project = (name: string, used: number, given: number) => ({
  project: name,
  description: `${name} science`,
  role: "member",
  cpu_given: given,
  cpu_used: used,
  cpu_left: given - used,
  gpu_given: 0,
  gpu_used: 0,
  gpu_left: 0,
});
const traits: Model = {
  user: { name: "elvis", firstname: "Elvis", lastname: "Presley" },
  projects: [project("m1234", 95, 100), project("m9999", 10, 100)],
  api_client: { client_id: "abc", name: "laptop", level: "red", ip_ranges: ["10.0.0.0/8"] },
  messages: [{ level: "warning", text: "m1234 has 5 node-hours left" }],
  checked_at: "",
};

describe("the account view", () => {
  it("shows each project's hours with a bar coloured by how much is used", () => {
    const { el } = mount(widget, traits);
    expect(byTestId(el, "account-user").textContent).toBe("elvis");
    expect(allByTestId(el, "project-row").map((r) => r.dataset.project)).toEqual(["m1234", "m9999"]);
    expect(allByTestId(el, "hours-bar").map((b) => b.dataset.level)).toEqual(["error", "ok"]);
    expect(byTestId(el, "client-level").dataset.level).toBe("red");
    expect(byTestId(el, "account-message").dataset.level).toBe("warning");
  });

  it("repaints when the kernel reads the account again, and cleans up", () => {
    const mounted = mount(widget, traits);
    const { model, el } = mounted;
    model.kernelSet({ projects: [], api_client: {} });
    expect(el.textContent).toContain("You are in no project.");
    expect(byTestId(el, "account-client").textContent).toBe("API client: not known for this session");
    mounted.unmount();
    expect(model.listenerCount()).toBe(0);
  });
});
