import { createRouter, createWebHistory } from "vue-router";
import HomeView from "./views/HomeView.vue";

export const router = createRouter({
  history: createWebHistory("/app/"),
  routes: [
    { path: "/", name: "home", component: HomeView },
    { path: "/login", name: "login", component: () => import("./views/LoginView.vue") },
    { path: "/report", name: "report", component: () => import("./views/ReportView.vue") },
    { path: "/case/:id", name: "case", component: () => import("./views/CaseView.vue"), props: true },
    { path: "/case-report/:code", name: "case-report", component: () => import("./views/CaseReportView.vue"), props: true },
    { path: "/tasks", name: "tasks", component: () => import("./views/TasksView.vue") },
    { path: "/task/:id", name: "task", component: () => import("./views/TaskView.vue"), props: true },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});
