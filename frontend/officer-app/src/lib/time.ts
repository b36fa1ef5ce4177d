/** Countdown and time formatting. */

/** Seconds left until `deadline` (never negative). */
export function secondsUntil(deadline: string | Date | null | undefined, now: number = Date.now()): number | null {
  if (!deadline) return null;
  const at = typeof deadline === "string" ? Date.parse(deadline) : deadline.getTime();
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** `mm:ss` (or `h:mm:ss` past an hour). */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Local `HH:MM` (today) or `MM-DD HH:MM`. */
export function formatTime(iso: string | number | null | undefined, now: Date = new Date()): string {
  if (iso === null || iso === undefined || iso === "") return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? hm : `${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${hm}`;
}
