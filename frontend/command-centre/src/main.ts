import { createApp } from "vue";
import {
  ElButton,
  ElCheckbox,
  ElConfigProvider,
  ElDatePicker,
  ElDrawer,
  ElImage,
  ElInput,
  ElInputNumber,
  ElOption,
  ElSelect,
  ElTable,
  ElTableColumn,
} from "element-plus";
import "element-plus/dist/index.css";
import "element-plus/theme-chalk/dark/css-vars.css";
import "./style.css";
import App from "./App.vue";
import { i18n } from "./i18n";

const app = createApp(App);
app.use(i18n);
for (const c of [ElButton, ElCheckbox, ElConfigProvider, ElDatePicker, ElDrawer, ElImage, ElInput, ElInputNumber, ElOption, ElSelect, ElTable, ElTableColumn]) {
  app.use(c);
}
app.mount("#app");
