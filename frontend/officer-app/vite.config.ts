import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import vue from "@vitejs/plugin-vue";

const here = fileURLToPath(new URL(".", import.meta.url));
const BASE = "/static/web/officer/";
const OUT = resolve(here, "../../src/smartduty/web/static/web/officer");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Writes sw.js with the list of built files to precache (the app shell works offline). */
function serviceWorker(): Plugin {
  return {
    name: "smartduty-service-worker",
    apply: "build",
    writeBundle() {
      const built = files(OUT)
        .map((p) => relative(OUT, p).split("\\").join("/"))
        .filter((p) => p !== "sw.js" && p !== "index.html" && !p.startsWith(".vite/") && !p.endsWith(".webmanifest"));
      const urls = built.map((p) => BASE + p).sort();
      const version = createHash("sha256").update(urls.join("\n")).digest("hex").slice(0, 12);
      const template = readFileSync(resolve(here, "sw/sw.js"), "utf8");
      const body = template.replace("__VERSION__", version).replace("__PRECACHE__", JSON.stringify(urls, null, 1));
      writeFileSync(join(OUT, "sw.js"), body);
    },
  };
}

/**
 * Drops remote fallbacks from `@font-face` sources. Vant's icon font is inlined as a woff2
 * `data:` URL with a fallback on a CDN (`//at.alicdn.com/…woff`): the officer app never asks
 * another host for anything, and the site's CSP (`font-src 'self' data:`) would report the try.
 */
export function localFontsOnly(): Plugin {
  const remote = /,\s*url\(\s*["']?(?:https?:)?\/\/[^)]*\)(?:\s*format\([^)]*\))?/g;
  return {
    name: "smartduty-local-fonts-only",
    enforce: "pre",
    transform(code, id) {
      if (!id.split("?")[0].endsWith(".css") || !code.includes("@font-face")) return null;
      return { code: code.replace(remote, ""), map: null };
    },
  };
}

export default defineConfig({
  base: BASE,
  plugins: [vue(), localFontsOnly(), serviceWorker()],
  build: {
    outDir: OUT,
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
    reportCompressedSize: false,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000", "/web": "http://127.0.0.1:8000" },
  },
});
