import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport } from "ai";
import { StrictMode, useRef, useState, type FormEvent } from "react";
import { createRoot } from "react-dom/client";
import { AssistantTurn } from "./stages.js";
import type { GatewayMessage } from "./types.js";

/*
 * useChat against the staged reasoning gateway, with no custom stream code: the SDK's own
 * DefaultChatTransport posts to /ai-sdk/v1/chat, and its `body` adds the model. The gateway's
 * address and the model come from the page's query (?gateway=…&model=…).
 */

const query = new URLSearchParams(location.search);
const GATEWAY = (query.get("gateway") ?? "http://127.0.0.1:8000").replace(/\/+$/, "");

function App() {
  const [model, setModel] = useState(query.get("model") ?? "mock-long-think");
  const [key, setKey] = useState("");
  const [input, setInput] = useState("");
  const [notice, setNotice] = useState("");
  // The transport is made once; it reads the latest model and key when it sends.
  const current = useRef({ model, key });
  current.current = { model, key };
  const [transport] = useState(
    () =>
      new DefaultChatTransport<GatewayMessage>({
        api: `${GATEWAY}/ai-sdk/v1/chat`,
        body: () => ({ model: current.current.model }),
        headers: (): Record<string, string> => (current.current.key ? { authorization: `Bearer ${current.current.key}` } : {}),
      }),
  );
  const { messages, sendMessage, status, stop, error, regenerate } = useChat<GatewayMessage>({
    transport,
    // Transient parts: news about this turn that the message does not keep.
    onData: (part) => {
      if (part.type === "data-upstream-retry") setNotice(`retrying the upstream (${part.data.attempt}/${part.data.maxRetries})…`);
      if (part.type === "data-stage-error") setNotice(`${part.data.stage}: ${part.data.message}`);
    },
  });
  const busy = status === "submitted" || status === "streaming";

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (input.trim() === "" || busy) return;
    setNotice("");
    void sendMessage({ text: input });
    setInput("");
  };

  return (
    <main>
      <h1>useChat + staged reasoning gateway</h1>
      <p className="sub">
        The AI SDK&apos;s DefaultChatTransport, pointed at <code>{GATEWAY}/ai-sdk/v1/chat</code>.
      </p>
      <div className="settings">
        <label>
          model
          <input value={model} onChange={(e) => setModel(e.target.value)} aria-label="model" />
        </label>
        <label>
          API key (optional)
          <input type="password" value={key} onChange={(e) => setKey(e.target.value)} aria-label="API key" autoComplete="off" />
        </label>
      </div>
      {messages.map((m) =>
        m.role === "assistant" ? (
          <AssistantTurn key={m.id} message={m} />
        ) : (
          <article className="turn user" key={m.id}>
            <div className="role">{m.role}</div>
            {m.parts.map((p, i) => (p.type === "text" ? <p key={i}>{p.text}</p> : null))}
          </article>
        ),
      )}
      {notice && <p className="notice">{notice}</p>}
      {error && (
        <div className="error" role="alert" data-testid="error">
          {errorText(error)}{" "}
          <button type="button" className="secondary" onClick={() => void regenerate()}>
            Retry
          </button>
        </div>
      )}
      <p className="meta" data-testid="status">
        {status}
      </p>
      <form onSubmit={submit}>
        <div>
          <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="Ask something…" aria-label="message" />
          {busy ? (
            <button type="button" onClick={() => void stop()}>
              Stop
            </button>
          ) : (
            <button type="submit">Send</button>
          )}
        </div>
      </form>
    </main>
  );
}

/** The transport's error for a refused request is the gateway's JSON body: show its message. */
function errorText(error: Error): string {
  try {
    const body = JSON.parse(error.message) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") return body.error.message;
  } catch {
    // Not JSON: an in-stream error's text, or the browser's own.
  }
  return error.message;
}

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
