/** App-wide state: who is logged in, the signal, today's counters, my cases, the offline queue. */
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { ApiError, getSession, login as sessionLogin, logout as sessionLogout } from "@smartduty/api-client";
import { api, isOpen, transport, type CaseRow, type Category, type Me, type MyDay, type Report } from "../api";
import { PERM, verifyTasks as pickVerifyTasks } from "../lib/casesteps";
import * as queue from "../lib/queue";

const CACHE = "smartduty.officer.cache";
const RECENT = "smartduty.recentCategories";

function loadRecent(): string[] {
  try {
    const raw = JSON.parse(localStorage.getItem(RECENT) ?? "[]") as unknown;
    return Array.isArray(raw) ? raw.filter((c): c is string => typeof c === "string").slice(0, 8) : [];
  } catch {
    return [];
  }
}

interface Cache {
  me: Me | null;
  today: MyDay | null;
  cases: Report[];
  at: number;
  /** case categories (tiles) and my unit's agency kind, kept for offline starts */
  categories?: Category[];
  unitKind?: string;
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
  const categories = ref<Category[]>(cache.categories ?? []);
  const unitKind = ref(cache.unitKind ?? "");
  const unitTasks = ref<CaseRow[]>([]);
  const myReported = ref<CaseRow[]>([]);
  /** handled cases in my area, for a 监督员 (`cases.verify_case`) */
  const areaHandled = ref<CaseRow[]>([]);
  const tasksLoaded = ref(false);
  let categoriesAt = 0;

  const openCases = computed(() => cases.value.filter(isOpen));
  const pendingCount = computed(() => queued.value.filter((q) => q.state !== "failed").length);
  const failedCount = computed(() => queued.value.filter((q) => q.state === "failed").length);

  const perms = computed(() => me.value?.permissions ?? []);
  const viewer = computed(() => ({ unitId: me.value?.unit_id ?? null, permissions: perms.value }));
  /** 作业单位 (e.g. the small-ad cleaners) and accounts that may not report: only their task list */
  const tasksOnly = computed(
    () =>
      unitKind.value === "contractor" ||
      (me.value !== null && !perms.value.includes(PERM.reportParking) && !perms.value.includes(PERM.report)),
  );
  const mayReportParking = computed(() => !tasksOnly.value && perms.value.includes(PERM.reportParking));
  const mayReportCase = computed(() => !tasksOnly.value && perms.value.includes(PERM.report));
  const mayHandleCases = computed(() => perms.value.includes(PERM.handle));
  /** a 监督员 (or anyone holding `cases.verify_case`) verifies the area's cases */
  const verifiesArea = computed(() => perms.value.includes(PERM.verify));
  const categoryByCode = computed(() => new Map(categories.value.map((c) => [c.code, c])));
  const recent = ref<string[]>(loadRecent());
  /** the tiles after 违法停车: the ones I used last first, then the categories' sort order */
  const caseTiles = computed(() => {
    const tiles = categories.value.filter((c) => c.workflow !== "parking");
    const rank = (code: string) => {
      const i = recent.value.indexOf(code);
      return i < 0 ? recent.value.length : i;
    };
    return tiles.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c.code) - rank(b.c.code) || a.i - b.i).map((x) => x.c);
  });

  function useCategory(code: string) {
    recent.value = [code, ...recent.value.filter((c) => c !== code)].slice(0, 8);
    localStorage.setItem(RECENT, JSON.stringify(recent.value));
  }
  /** 核查: handled cases I reported whose category says the reporter verifies, and for a
   * 监督员 the area's handled cases of the categories a 监督员 verifies */
  const verifyTasks = computed(() =>
    pickVerifyTasks(
      myReported.value,
      areaHandled.value,
      (code) => categoryByCode.value.get(code)?.verified_by,
      viewer.value,
    ),
  );
  const taskCount = computed(() => unitTasks.value.length + verifyTasks.value.length);

  function save() {
    cachedAt.value = Date.now();
    localStorage.setItem(
      CACHE,
      JSON.stringify({
        me: me.value,
        today: today.value,
        cases: cases.value,
        at: cachedAt.value,
        categories: categories.value,
        unitKind: unitKind.value,
      }),
    );
  }

  /** Categories (every 10 minutes), my unit's kind (once) and my case tasks. */
  async function refreshCases() {
    if (!me.value) return;
    unitKind.value = me.value.agency_kind ?? ""; // `/me` says the kind of my unit's agency
    if (Date.now() - categoriesAt > 600_000) {
      categories.value = await api.categories();
      categoriesAt = Date.now();
      save();
    }
    const unitId = me.value.unit_id;
    const [handle, mine, area] = await Promise.all([
      unitId && perms.value.includes(PERM.handle) ? api.unitTasks(unitId) : Promise.resolve([]),
      mayReportCase.value ? api.myReported() : Promise.resolve([]),
      verifiesArea.value ? api.areaToVerify() : Promise.resolve([]),
    ]);
    unitTasks.value = handle;
    myReported.value = mine;
    areaHandled.value = area;
    tasksLoaded.value = true;
  }

  function upsertTask(row: CaseRow) {
    for (const list of [unitTasks, myReported, areaHandled]) {
      const i = list.value.findIndex((c) => c.public_id === row.public_id);
      if (i >= 0) list.value.splice(i, 1, row);
    }
    if (row.status !== "dispatched") unitTasks.value = unitTasks.value.filter((c) => c.public_id !== row.public_id);
    if (row.status !== "handled") areaHandled.value = areaHandled.value.filter((c) => c.public_id !== row.public_id);
  }

  /** Password log-in; `otp` for an account with two-factor (the API answers `otp_required`). */
  async function login(username: string, password: string, otp?: string) {
    await sessionLogin(username, password, otp);
    me.value = await api.me();
    unitKind.value = "";
    categoriesAt = 0;
    save();
  }

  async function logout() {
    try {
      await sessionLogout();
    } finally {
      me.value = null;
      cases.value = [];
      today.value = null;
      unitKind.value = "";
      unitTasks.value = [];
      myReported.value = [];
      areaHandled.value = [];
      categoriesAt = 0;
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
        unitKind.value = "";
        categoriesAt = 0;
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
      for (const c of result.sentCases) if (!myReported.value.some((m) => m.public_id === c.public_id)) myReported.value.unshift(c);
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
    categories,
    unitKind,
    unitTasks,
    myReported,
    areaHandled,
    tasksLoaded,
    viewer,
    tasksOnly,
    mayReportParking,
    mayReportCase,
    mayHandleCases,
    verifiesArea,
    categoryByCode,
    caseTiles,
    verifyTasks,
    taskCount,
    refreshCases,
    upsertTask,
    useCategory,
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
