/** The three screens of the command centre, addressed by the URL hash (`#/cases`, `#/kpi`). */
export type View = "dashboard" | "cases" | "kpi";

export function viewOf(hash: string): View {
  const name = hash.replace(/^#\/?/, "").split(/[?/]/)[0];
  return name === "cases" || name === "kpi" ? name : "dashboard";
}
