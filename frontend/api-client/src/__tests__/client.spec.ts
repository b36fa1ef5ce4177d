import { describe, expect, it } from "vitest";
import { ApiError, csrfToken, toApiError, unwrap } from "../index";

describe("api client", () => {
  it("reads the CSRF cookie", () => {
    expect(csrfToken("sessionid=x; csrftoken=abc%3D; other=1")).toBe("abc=");
    expect(csrfToken("")).toBe("");
  });

  it("keeps the API's Chinese message and falls back by status", () => {
    const e = toApiError(422, { code: "validation_failed", message: "车牌号格式不正确" });
    expect(e.message).toBe("车牌号格式不正确");
    expect(e.code).toBe("validation_failed");
    expect(toApiError(404, null).message).toContain("未找到");
    expect(toApiError(503, "<html>").message).toContain("服务器");
    const network = toApiError(0, null);
    expect(network.isNetwork).toBe(true);
    expect(network.code).toBe("network");
  });

  it("unwraps data and turns failures into ApiError", async () => {
    const ok = new Response("{}", { status: 200 });
    await expect(unwrap(Promise.resolve({ data: { a: 1 }, response: ok }))).resolves.toEqual({ a: 1 });
    const bad = new Response("{}", { status: 409 });
    await expect(
      unwrap(Promise.resolve({ error: { code: "conflict", message: "记录已被他人修改" }, response: bad })),
    ).rejects.toMatchObject({ status: 409, message: "记录已被他人修改" });
    await expect(unwrap(Promise.reject(new TypeError("Failed to fetch")))).rejects.toBeInstanceOf(ApiError);
  });
});
