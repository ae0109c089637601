import { Layout } from "./layout.js";

const EXAMPLES = [
  "Why is the sky blue, and not violet?",
  "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?",
  "Write a TypeScript function that checks whether a string is a palindrome, and explain it.",
];

/**
 * `/`: a conversation with the gateway. Every turn shows the three stages as they arrive; the
 * script (client/playground.ts) fills this skeleton and keeps the history in localStorage.
 */
export function PlaygroundPage(props: { keysRequired: boolean }) {
  return (
    <Layout title="Playground · staged reasoning gateway" page="playground" script="/assets/playground.js">
      <div class="chat-bar">
        <label class="model-pick">
          <span>Model</span>
          <select id="model" aria-label="model" />
        </label>
        <input id="model-custom" class="model-custom" aria-label="model name" placeholder="model name" hidden />
        <button id="new-chat" type="button">
          New chat
        </button>
      </div>
      <p id="model-note" class="note" hidden />
      <details id="settings" class="settings" open={props.keysRequired}>
        <summary>Settings</summary>
        <div class="settings-grid">
          <label>
            Summary model (optional)
            <input id="summary-model" list="model-list" placeholder="same as the model" />
          </label>
          <label>
            API key {props.keysRequired ? "(required)" : "(not required)"}
            <input id="key" type="password" autocomplete="off" placeholder={props.keysRequired ? "required" : "optional"} />
          </label>
        </div>
        <datalist id="model-list" />
      </details>

      <section id="empty-state" class="empty-state">
        <h2>Ask something that takes thought</h2>
        <p>Reasoning models think before they answer. Here every answer arrives in three stages, in order:</p>
        <ol class="stage-intro">
          <li>
            <b>What you asked</b> — a one-sentence summary of your question within a second or so, so you know it was understood.
          </li>
          <li>
            <b>Reasoning</b> — while the model thinks, a live timeline: how long it has been thinking and short notes on what it is working
            through; then a summary of its reasoning.
          </li>
          <li>
            <b>Answer</b> — the final answer, streamed as it is written, once the reasoning summary is out.
          </li>
        </ol>
        <p class="examples-title">Try one:</p>
        <div class="examples">
          {EXAMPLES.map((e) => (
            <button type="button" class="example" data-prompt={e}>
              {e}
            </button>
          ))}
        </div>
      </section>

      <div id="conversation" class="conversation" />

      <form id="composer" class="composer" data-keys-required={String(props.keysRequired)}>
        <textarea id="prompt" rows={3} required aria-label="your message" placeholder="Ask a question…" />
        <div class="composer-actions">
          <span id="status" class="status" role="status" />
          <span class="hint">Ctrl/⌘ + Enter sends</span>
          <button id="stop" type="button" disabled>
            Stop
          </button>
          <button id="send" class="primary" type="submit">
            Send
          </button>
        </div>
      </form>
    </Layout>
  );
}
