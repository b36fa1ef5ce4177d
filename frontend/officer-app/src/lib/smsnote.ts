/**
 * What the district's SMS policy did with a confirmed plate, for the report's result card:
 * the SMS deferred to the end of quiet hours ("静默时段（22:00–07:00）：短信将于 07:00 发送…"),
 * or no SMS at all (quiet hours in the notice mode, a daily cap reached: "…请直接张贴提示单").
 * The server writes the sentence into the timeline step (`notify_owner` / `skip_owner_sms`).
 */

interface ReportLike {
  status: string;
  owner_notified_at?: string | null;
}

interface StepLike {
  action: string;
  reason: string;
}

const OWNER_STEPS = new Set(["notify_owner", "skip_owner_sms", "mark_owner_unknown", "mark_duplicate"]);

/** The owner SMS waits for the end of quiet hours (its send time lies ahead). */
export function isDeferred(report: ReportLike, now: number = Date.now()): boolean {
  if (report.status !== "awaiting_move" || !report.owner_notified_at) return false;
  const at = Date.parse(report.owner_notified_at);
  return !Number.isNaN(at) && at > now;
}

/** The policy's sentence for the officer, or null when the SMS went out as usual. */
export function policyNote(report: ReportLike, steps: StepLike[], now: number = Date.now()): string | null {
  const step = [...steps].reverse().find((s) => OWNER_STEPS.has(s.action));
  if (!step || !step.reason) return null;
  if (step.action === "skip_owner_sms") return step.reason;
  if (step.action === "notify_owner" && isDeferred(report, now)) return step.reason;
  return null;
}
