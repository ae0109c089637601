import { isToolUIPart } from "ai";
import { dataPart, type GatewayMessage, type StageData } from "./types.js";

/** One stage of the gateway's staged answer, shown where it belongs; nothing until it arrives. */
function Stage({ name, title, data, extra }: { name: string; title: string; data: StageData | undefined; extra?: string }) {
  if (!data) return null;
  return (
    <section className={`stage ${name}`} data-stage={name}>
      <h2>
        {title}
        {extra}
        {data.source === "fallback" ? " (fallback)" : ""}
      </h2>
      <StageText text={data.text} />
    </section>
  );
}

/** A progress summary's `**Heading**: text` shows its heading in bold; other text as it is. */
function StageText({ text }: { text: string }) {
  if (text === "") return <p>(the model did not reason)</p>;
  const heading = /^\*\*(.+?)\*\*:\s*/.exec(text);
  if (!heading) return <p>{text}</p>;
  return (
    <p>
      <strong>{heading[1]}</strong>: {text.slice(heading[0].length)}
    </p>
  );
}

/**
 * An assistant message: the prompt summary, sources, the live progress (one data part the
 * gateway replaces in place), the reasoning summary, then the answer and any tool calls.
 */
export function AssistantTurn({ message }: { message: GatewayMessage }) {
  const parts = message.parts;
  const prompt = dataPart(message, "prompt-summary");
  const progress = dataPart(message, "progress");
  const summary = dataPart(message, "reasoning-summary");
  const sources = parts.filter((p) => p.type === "source-url");
  const answer = parts.map((p) => (p.type === "text" ? p.text : "")).join("");
  const tools = parts.filter(isToolUIPart);
  const meta = message.metadata;
  return (
    <article className="turn assistant" data-testid="assistant-turn">
      <div className="role">assistant</div>
      <Stage name="prompt-summary" title="Prompt summary" data={prompt} />
      {sources.length > 0 && (
        <ol className="sources" data-stage="sources">
          {sources.map((s) => (
            <li key={s.sourceId}>
              <a href={s.url} target="_blank" rel="noreferrer">
                {s.title ?? s.url}
              </a>
            </li>
          ))}
        </ol>
      )}
      <Stage name="progress" title="Progress" data={progress} extra={progress ? ` ${progress.index}` : ""} />
      <Stage name="reasoning-summary" title="Reasoning summary" data={summary} />
      {answer !== "" && (
        <div className="answer" data-stage="answer">
          {answer}
        </div>
      )}
      {tools.map((t) => (
        <div className="stage" data-stage="tool" key={t.toolCallId}>
          <h2>tool call {t.type === "dynamic-tool" ? t.toolName : t.type.slice("tool-".length)}</h2>
          <p>{JSON.stringify(t.input ?? null)}</p>
        </div>
      ))}
      {meta?.timings && (
        <div className="meta" data-testid="meta">
          {meta.usage?.totalTokens ?? "?"} tokens · {Math.round(meta.timings.total)} ms
        </div>
      )}
    </article>
  );
}
