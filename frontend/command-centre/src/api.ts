import { makeClient, unwrap, type Schemas } from "@smartduty/api-client";
import { filterQuery, type Filters } from "./lib/format";

export const client = makeClient();
export type Dashboard = Schemas["DashboardOut"];
export type Stats = Schemas["StatsOut"];
export type District = Schemas["DistrictOut"];
export type Unit = Schemas["UnitOut"];
export type ConsoleRow = Schemas["ConsoleMessageOut"];

export interface WebConfig {
  map: { tile_url: string; attribution: string; center: [number, number]; zoom: number };
  poll_seconds: number;
}

export const api = {
  me: () => unwrap(client.GET("/api/v1/me")),
  dashboard: (f: Filters) =>
    unwrap(client.GET("/api/v1/stats/parking/dashboard", { params: { query: filterQuery(f) } })),
  districts: () => unwrap(client.GET("/api/v1/districts")),
  units: () => unwrap(client.GET("/api/v1/units")),
  consoleSms: () => unwrap(client.GET("/api/v1/outbox/console", { params: { query: { limit: 8 } } })),
  async config(): Promise<WebConfig> {
    const fallback: WebConfig = { map: { tile_url: "", attribution: "", center: [36.456, 115.985], zoom: 13 }, poll_seconds: 5 };
    try {
      const response = await fetch("/web/config.json", { credentials: "same-origin" });
      return response.ok ? ((await response.json()) as WebConfig) : fallback;
    } catch {
      return fallback;
    }
  },
};
