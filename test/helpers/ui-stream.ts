import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";

/*
 * The AI SDK's own reading of a UI message stream, for tests of `/ai-sdk/v1/chat`: the chunks as
 * DefaultChatTransport parses them (the SSE parser and `uiMessageChunkSchema`, exactly what
 * useChat uses: a chunk of the wrong shape fails the read), and the message `readUIMessageStream`
 * builds from them (a chunk out of protocol order — a delta before its start — is reported).
 */

export interface UiRead {
  chunks: UIMessageChunk[];
  /** The last snapshot of the assistant message. */
  message: UIMessage | undefined;
  /** `error` chunks and protocol violations, as the SDK reports them. */
  errors: Error[];
}

/** A transport pointed at `api`, as an app would build it (its `body` adds the model). */
export function uiTransport(
  api: string,
  opts: { body?: Record<string, unknown>; headers?: Record<string, string>; fetch?: typeof fetch } = {},
): DefaultChatTransport<UIMessage> {
  return new DefaultChatTransport({ api, ...opts });
}

/** A user's UI message, as `sendMessage({ text })` makes it. */
export function userUi(text: string, id = "u1"): UIMessage {
  return { id, role: "user", parts: [{ type: "text", text }] };
}

/** Send `messages` through the transport, as useChat's `sendMessage` does. */
export function sendUi(
  transport: DefaultChatTransport<UIMessage>,
  messages: UIMessage[],
  opts: { chatId?: string; signal?: AbortSignal } = {},
): Promise<ReadableStream<UIMessageChunk>> {
  return transport.sendMessages({ chatId: opts.chatId ?? "chat-1", messages, trigger: "submit-message", messageId: undefined, abortSignal: opts.signal });
}

/** Every chunk, and the message they build. */
export async function readUi(stream: ReadableStream<UIMessageChunk>): Promise<UiRead> {
  const chunks: UIMessageChunk[] = [];
  const errors: Error[] = [];
  const tapped = stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        chunks.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  let message: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream: tapped, onError: (e) => errors.push(e instanceof Error ? e : new Error(String(e))) })) message = m;
  return { chunks, message, errors };
}

/** SSE text (an encoder's output) read the same way, through a fetch that answers with it. */
export async function readUiText(sse: string): Promise<UiRead> {
  const fetchText: typeof fetch = async () => new Response(sse, { headers: { "content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1" } });
  return readUi(await sendUi(uiTransport("http://gateway.test/ai-sdk/v1/chat", { fetch: fetchText }), [userUi("hi")]));
}

/** The text of a message's text parts. */
export function uiText(m: UIMessage | undefined): string {
  return (m?.parts ?? []).map((p) => (p.type === "text" ? p.text : "")).join("");
}
