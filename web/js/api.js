// Talking to the gateway: one fetch wrapper that turns the one error shape
// {"error": {code, message, detail?}} into ApiError, and tells the page when the
// token is missing (401) or the engine is down (503 engine_unavailable).

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const listeners = { unauthorized: [], unavailable: [], available: [] };
export function on(kind, fn) { listeners[kind].push(fn); }
function emit(kind, arg) { for (const fn of listeners[kind]) fn(arg); }

export async function api(path, { method = "GET", json, form, signal } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin", signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  let reply;
  try {
    reply = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network_down", "The gateway is not reachable.");
  }
  if (reply.status === 204) return null;
  const type = reply.headers.get("Content-Type") || "";
  const body = type.includes("application/json") ? await reply.json() : await reply.text();
  if (!reply.ok) {
    const e = (body && body.error) || {};
    const error = new ApiError(reply.status, e.code || "internal_error", e.message || `HTTP ${reply.status}`, e.detail);
    if (reply.status === 401 && !path.startsWith("/api/session")) emit("unauthorized", error);
    if (error.code === "engine_unavailable") emit("unavailable", error);
    throw error;
  }
  emit("available");
  return body;
}

export const outputUrl = (jobId, i) => `/api/jobs/${encodeURIComponent(jobId)}/outputs/${i}`;
export const partialUrl = (jobId, i) => `/api/jobs/${encodeURIComponent(jobId)}/partials/${i}`;
export const refUrl = (jobId, i) => `/api/jobs/${encodeURIComponent(jobId)}/refs/${i}`;
export const sourceUrl = (jobId, i) => `/api/jobs/${encodeURIComponent(jobId)}/sources/${i}`;
