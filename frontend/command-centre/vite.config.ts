import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  base: "/static/web/command/",
  plugins: [vue()],
  build: {
    outDir: resolve(here, "../../src/smartduty/web/static/web/command"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("node_modules/echarts") || id.includes("node_modules/zrender")) return "echarts";
          if (id.includes("node_modules/leaflet")) return "leaflet";
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000", "/web": "http://127.0.0.1:8000" },
  },
});
