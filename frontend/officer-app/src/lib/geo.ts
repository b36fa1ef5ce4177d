/** The phone's position, kept warm while the app is open so a report never waits for a fix. */
import { ref } from "vue";

export interface Fix {
  lat: number;
  lon: number;
  accuracy: number;
  at: number;
}

export const fix = ref<Fix | null>(null);
export const geoError = ref("");
let watching: number | null = null;

export function startGeo(): void {
  if (watching !== null || !globalThis.navigator?.geolocation) return;
  watching = navigator.geolocation.watchPosition(
    (pos) => {
      fix.value = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy, at: Date.now() };
      geoError.value = "";
    },
    (err) => {
      geoError.value = err.message;
    },
    { enableHighAccuracy: true, maximumAge: 10_000, timeout: 20_000 },
  );
}

/** A fix no older than 2 minutes, waiting up to `waitMs` for one. */
export async function currentFix(waitMs = 3000): Promise<Fix | null> {
  startGeo();
  const fresh = () => (fix.value && Date.now() - fix.value.at < 120_000 ? fix.value : null);
  const deadline = Date.now() + waitMs;
  while (!fresh() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 150));
  }
  return fresh();
}
