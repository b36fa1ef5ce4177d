/** App-wide state: who is logged in, the signal, today's counters, my cases, the offline queue. */
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { ApiError, getSession, login as sessionLogin, logout as sessionLogout } from "@smartduty/api-client";
import { api, isOpen, transport, type Me, type MyDay, type Report } from "../api";
import * as queue from "../lib/queue";

const CACHE = "smartduty.officer.cache";

interface Cache {
  me: Me | null;
  today: MyDay | null;
  cases: Report[];
  at: number;
}

function loadCache(): Cache {
  try {
    const raw = localStorage.getItem(CACHE);
    if (raw) return JSON.parse(raw) as Cache;
  } catch {
    /* ignore a broken cache */
  }
  return { me: null, today: null, cases: [], at: 0 };
}

export const useApp = defineStore("app", () => {
  const cache = loadCache();
  const me = ref<Me | null>(cache.me);
  const today = ref<MyDay | null>(cache.today);
  const cases = ref<Report[]>(cache.cases);
  const cachedAt = ref(cache.at);
  const fromCache = ref(cache.at > 0);
  const online = ref(globalThis.navigator?.onLine ?? true);
  const queued = ref<queue.QueuedReport[]>([]);
  const syncing = ref(false);
  const lastSynced = ref<Report[]>([]);

  const openCases = computed(() => cases.value.filter(isOpen));
  const pendingCount = computed(() => queued.value.filter((q) => q.state !== "failed").length);
  const failedCount = computed(() => queued.value.filter((q) => q.state === "failed").length);

  function save() {
    cachedAt.value = Date.now();
    localStorage.setItem(
      CACHE,
      JSON.stringify({ me: me.value, today: today.value, cases: cases.value, at: cachedAt.value }),
    );
  }

  /** Password log-in; `otp` for an account with two-factor (the API answers `otp_required`). */
  async function login(username: string, password: string, otp?: string) {
    await sessionLogin(username, password, otp);
    me.value = await api.me();
    save();
  }

  async function logout() {
    try {
      await sessionLogout();
    } finally {
      me.value = null;
      cases.value = [];
      today.value = null;
      localStorage.removeItem(CACHE);
    }
  }

  /** Is there a session? Offline with a cached account counts as yes. */
  async function ensureSession(): Promise<boolean> {
    try {
      const state = await getSession();
      if (!state.authenticated) {
        me.value = null;
        return false;
      }
      if (!me.value || me.value.username !== state.username) {
        me.value = await api.me();
        save();
      }
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.isNetwork) return me.value !== null;
      throw err;
    }
  }

  async function refresh() {
    const [m, t, c] = await Promise.all([api.me(), api.today(), api.myCases()]);
    me.value = m;
    today.value = t;
    cases.value = c;
    fromCache.value = false;
    save();
  }

  function upsertCase(report: Report) {
    const i = cases.value.findIndex((c) => c.public_id === report.public_id);
    if (i >= 0) cases.value.splice(i, 1, report);
    else cases.value.unshift(report);
    save();
  }

  async function loadQueue() {
    queued.value = await queue.list();
  }

  async function syncQueue(): Promise<queue.FlushResult | null> {
    await loadQueue();
    if (!queued.value.some((q) => q.state === "pending" || q.state === "sending")) return null;
    syncing.value = true;
    try {
      const result = await queue.flush(transport);
      for (const r of result.sent) upsertCase(r);
      if (result.sent.length) lastSynced.value = result.sent;
      return result;
    } finally {
      syncing.value = false;
      await loadQueue();
    }
  }

  function setOnline(value: boolean) {
    online.value = value;
  }

  return {
    me,
    today,
    cases,
    cachedAt,
    fromCache,
    online,
    queued,
    syncing,
    lastSynced,
    openCases,
    pendingCount,
    failedCount,
    login,
    logout,
    ensureSession,
    refresh,
    upsertCase,
    loadQueue,
    syncQueue,
    setOnline,
  };
});
