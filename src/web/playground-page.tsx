import { Layout } from "./layout.js";

const EXAMPLES = [
  "Why is the sky blue, and not violet?",
  "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?",
  "Write a TypeScript function that checks whether a string is a palindrome, and explain it.",
];

/**
 * `/`: conversations with the gateway, laid out like the chat apps people use daily — the list of
 * conversations at the side, the thread in the middle, the composer pinned to the bottom. Every
 * turn shows the three stages as they arrive; the script (client/playground.ts) fills this
 * skeleton and keeps the conversations in localStorage.
 */
export function PlaygroundPage(props: { keysRequired: boolean }) {
  return (
    <Layout title="Playground · staged reasoning gateway" heading="Playground" page="playground" script="/assets/playground.js">
      <div class="app">
        <aside id="sidebar" class="sidebar" aria-labelledby="sidebar-title">
          <div class="sidebar-head">
            <h2 id="sidebar-title">Conversations</h2>
            <button id="sidebar-close" class="sidebar-close" type="button" aria-label="Close the conversation list">
              Close
            </button>
          </div>
          <button id="new-chat" class="new-chat" type="button">
            New chat
          </button>
          <ul id="conversation-list" class="conv-list" />
          <p id="conversation-empty" class="note">
            Your conversations appear here, kept in this browser.
          </p>
        </aside>

        <div class="chat">
          <div class="chat-top">
            <button id="sidebar-toggle" class="sidebar-toggle" type="button" aria-controls="sidebar" aria-expanded="false">
              Chats
            </button>
            <label class="model-pick">
              <span>Model</span>
              <select id="model" aria-label="model" />
            </label>
            <input id="model-custom" class="model-custom" aria-label="model name" placeholder="model name" hidden />
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
          </div>
          <p id="model-note" class="note model-note" hidden />

          {/* Focusable, so the thread scrolls from the keyboard too. */}
          <div id="scroller" class="scroller" tabindex={0} role="region" aria-label="conversation">
            <div class="thread">
              <section id="empty-state" class="empty-state">
                <h2>Ask something that takes thought</h2>
                <p>Reasoning models think before they answer. Here every answer arrives in three stages, in order:</p>
                <ol class="stage-intro">
                  <li>
                    <b>What you asked</b> — a one-sentence summary of your question within a second or so, so you know it was understood.
                  </li>
                  <li>
                    <b>Reasoning</b> — while the model thinks, a live timeline: how long it has been thinking and short notes on what it is working through;
                    then a summary of its reasoning, folded into "Thought for 20 s" once the answer is in.
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
            </div>
          </div>

          <form id="composer" class="composer" data-keys-required={String(props.keysRequired)}>
            <div class="composer-box">
              <textarea id="prompt" rows={2} aria-label="your message" aria-describedby="composer-hint" placeholder="Ask a question…" enterkeyhint="send" />
              <div class="composer-actions">
                <span id="composer-hint" class="hint">
                  Enter sends · Shift+Enter new line · Esc stops
                </span>
                <button id="stop" type="button" disabled>
                  Stop
                </button>
                <button id="send" class="primary" type="submit">
                  Send
                </button>
              </div>
            </div>
            <p id="status" class="status" role="status" />
          </form>
        </div>
      </div>
    </Layout>
  );
}
