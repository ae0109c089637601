/** An error the client caused or should see as-is, in OpenAI's shape. Thrown, caught by one onError. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly type: string = status >= 500 ? "server_error" : "invalid_request_error",
    readonly headers: Record<string, string> = {},
    /** The request field at fault (OpenAI's error `param`), when known. */
    readonly param?: string,
  ) {
    super(message);
  }
}

export function errorBody(message: string, type: string, code: string) {
  return { error: { message, type, code } };
}
