import { createApp } from "vue";
import { createPinia } from "pinia";
import {
  ActionSheet,
  Button,
  Cell,
  CellGroup,
  Dialog,
  Empty,
  Field,
  Form,
  Icon,
  Image as VanImage,
  Loading,
  NavBar,
  NoticeBar,
  Notify,
  Popup,
  Progress,
  PullRefresh,
  Step,
  Steps,
  Tag,
  Toast,
} from "vant";
import "vant/lib/index.css";
import "./style.css";
import App from "./App.vue";
import { router } from "./router";
import { i18n } from "./i18n";
import { useApp } from "./stores/app";

const app = createApp(App);
app.use(createPinia()).use(router).use(i18n);
for (const c of [ActionSheet, Button, Cell, CellGroup, Dialog, Empty, Field, Form, Icon, VanImage, Loading, NavBar, NoticeBar, Notify, Popup, Progress, PullRefresh, Step, Steps, Tag, Toast]) {
  app.use(c);
}

const store = useApp();
router.beforeEach(async (to) => {
  if (to.name === "login") return true;
  if (store.me) return true;
  const ok = await store.ensureSession().catch(() => false);
  return ok ? true : { name: "login", query: { next: to.fullPath } };
});

window.addEventListener("online", () => {
  store.setOnline(true);
  void store.syncQueue();
});
window.addEventListener("offline", () => store.setOnline(false));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") void store.syncQueue();
});
setInterval(() => {
  store.setOnline(navigator.onLine);
  if (navigator.onLine) void store.syncQueue();
}, 10_000);

app.mount("#app");
void store.loadQueue().then(() => (navigator.onLine ? store.syncQueue() : null));

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}
