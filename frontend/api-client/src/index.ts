/**
 * Typed client of the smartduty API (`/api/v1/`), generated from `openapi.json` by
 * openapi-typescript (`npm run gen:api`) and wrapped for same-origin use: the session cookie
 * travels with every call, unsafe methods carry the CSRF token, and every error becomes an
 * `ApiError` with the API's Chinese `message`.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, paths };
export * from "./stepclock";
export type Schemas = components["schemas"];
export type ReportOut = Schemas["ReportOut"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Reads the `csrftoken` cookie Django sets (it changes on login, so read it per request). */
export function csrfToken(cookie: string = globalThis.document?.cookie ?? ""): string {
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** An API failure; `status` 0 means the request never got an answer (no signal). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** True when the phone had no connection (worth retrying later). */
  get isNetwork(): boolean {
    return this.status === 0;
  }
}

const FALLBACK: Record<number, string> = {
  0: "网络连接失败，请检查信号后重试",
  400: "请求格式错误",
  401: "请先登录",
  403: "您没有执行此操作的权限",
  404: "未找到该记录，或不在您的辖区范围内",
  409: "当前状态不允许此操作，请刷新后重试",
  413: "上传内容过大",
  422: "输入内容不符合要求",
  500: "服务器出错了，请稍后重试",
};

/** Builds an `ApiError` from a response body (`{code, message}`) and status. */
export function toApiError(status: number, body: unknown): ApiError {
  const obj = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const message =
    typeof obj.message === "string" && obj.message
      ? obj.message
      : (FALLBACK[status] ?? FALLBACK[status >= 500 ? 500 : 400]);
  const code = typeof obj.code === "string" ? obj.code : status === 0 ? "network" : "error";
  return new ApiError(status, code, message, obj.details);
}

export const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method.toUpperCase())) {
      request.headers.set("X-CSRFToken", csrfToken());
    }
    return request;
  },
};

/** A client bound to this origin with cookies and CSRF. */
export function makeClient(baseUrl = "") {
  const client = createClient<paths>({ baseUrl, credentials: "same-origin" });
  client.use(csrfMiddleware);
  return client;
}

export type Client = ReturnType<typeof makeClient>;

/** Awaits an openapi-fetch call and returns its data, or throws an `ApiError`. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw toApiError(0, null);
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error);
  return result.data as T;
}

export interface UploadOptions {
  method?: string;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Sends a multipart form with upload progress (fetch cannot report it), with the session
 * cookie and CSRF token. Resolves with the JSON body and status; rejects with `ApiError`.
 */
export function upload<T>(
  url: string,
  form: FormData,
  options: UploadOptions = {},
): Promise<{ status: number; data: T }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(options.method ?? "POST", url);
    xhr.withCredentials = true;
    xhr.timeout = options.timeoutMs ?? 120_000;
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && options.onProgress) {
        options.onProgress(Math.min(1, event.loaded / Math.max(1, event.total)));
      }
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1);
        resolve({ status: xhr.status, data: body as T });
      } else {
        reject(toApiError(xhr.status, body));
      }
    };
    xhr.onerror = () => reject(toApiError(0, null));
    xhr.ontimeout = () => reject(toApiError(0, null));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "已取消"));
    options.signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}

export interface SessionState {
  authenticated: boolean;
  username: string;
  /** "" nothing to do; "enrol": the role requires an authenticator (only enrolment is open);
   * "verify": the session still needs its one-time code. */
  otp_stage?: "" | "enrol" | "verify";
}

/** What the enrolment screen shows: the otpauth URI as a QR code, and the secret. */
export interface OtpEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg_data_uri: string;
}

async function webCall<T>(url: string, method: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        ...(method === "GET" ? {} : { "X-CSRFToken": csrfToken() }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw toApiError(0, null);
  }
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, data);
  return data as T;
}

const sessionCall = (method: string, body?: unknown) =>
  webCall<SessionState>("/web/session", method, body);

/** Who is logged in; also sets the CSRF cookie. */
export const getSession = () => sessionCall("GET");
/** Logs in with the session cookie (same-origin pages). An account with two-factor answers
 * `ApiError` code `otp_required` until `otp` (6 digits or a recovery code) is given. */
export async function login(username: string, password: string, otp?: string): Promise<SessionState> {
  if (!csrfToken()) await getSession();
  return sessionCall("POST", otp ? { username, password, otp } : { username, password });
}
/** Starts (or shows again) the logged-in account's authenticator enrolment. */
export const otpSetup = () => webCall<OtpEnrolment>("/web/otp/setup", "POST", {});
/** Confirms enrolment with the first code; the recovery codes come back this once. */
export const otpConfirm = (otp: string) =>
  webCall<SessionState & { recovery_codes: string[] }>("/web/otp/confirm", "POST", { otp });
/** Logs out. */
export const logout = () => sessionCall("DELETE");
