// The model-level state, one per widget model and page: every source's data as sent by
// Python, so that a view rendered at any time (a second view, a re-rendered cell) starts
// from it. Messages arrive in order; a delta is applied only when every message before it
// was, otherwise the store asks Python for a snapshot ("ready") and waits for it.
// Each applied message is acknowledged ("ack") after the frame that draws it: Python keeps
// only a few messages unacknowledged and merges the rest, so a page that draws slowly gets
// fewer, larger messages rather than a queue that grows behind it (exmc_widgets/live.py).
import { applyOps, decode } from "./protocol.js";

export class ModelStore {
  constructor(model) {
    this.model = model;
    this.sources = new Map();
    this.seq = 0;
    this.synced = false;
    this.asked = false;
    this.listeners = new Set();
    this.toAck = 0; // the newest applied message not yet acknowledged (0: none)
    // [seq, arrival time (ms since the epoch), milliseconds applying it]: the browser test
    // compares arrivals with the kernel's flush times (the same clock); the last 2000 kept
    this.log = [];
    // [arrival time, title]: every title the page received (the header's count), last 2000
    this.titles = [];
    this.onTitle = () => {
      this.titles.push([Date.now(), model.get("title")]);
      if (this.titles.length > 2000) this.titles.splice(0, this.titles.length - 2000);
    };
    model.on("change:title", this.onTitle);
    this.onMessage = (msg, buffers) => this.handle(msg, buffers ?? []);
    model.on("msg:custom", this.onMessage);
    this.askSnapshot();
  }

  askSnapshot() {
    this.asked = true;
    this.model.send({ type: "ready" });
  }

  handle(msg, buffers) {
    if (msg?.type !== "ops") return;
    const arrived = Date.now();
    const started = performance.now();
    try {
      this.apply(msg, buffers);
      if (this.synced && this.seq === msg.seq) this.acknowledge(msg.seq);
    } finally {
      this.log.push([msg.seq, arrived, performance.now() - started]);
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    }
  }

  apply(msg, buffers) {
    if (msg.snapshot) {
      this.sources.clear();
      applyOps(this.sources, decode(msg.ops, buffers));
      this.synced = true;
      this.asked = false;
      this.seq = msg.seq;
      this.notify(null);
      return;
    }
    const inStep = this.synced ? msg.seq === this.seq + 1 : msg.seq === 1;
    if (!inStep) {
      // a gap: what this page shows would be wrong; wait for a snapshot
      this.synced = false;
      if (!this.asked) this.askSnapshot();
      return;
    }
    const ops = decode(msg.ops, buffers);
    applyOps(this.sources, ops);
    this.synced = true;
    this.seq = msg.seq;
    this.notify(ops);
  }

  // One acknowledgement for every message applied before the next frame is drawn (a page
  // without frames, a hidden tab, acknowledges after a second).
  acknowledge(seq) {
    const pending = this.toAck > 0;
    this.toAck = Math.max(this.toAck, seq);
    if (pending) return;
    let done = false;
    const send = () => {
      if (done) return;
      done = true;
      const acked = this.toAck;
      this.toAck = 0;
      try {
        this.model.send({ type: "ack", seq: acked, sent: Date.now() });
      } catch (error) {
        console.error("exmc dashboard:", error);
      }
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => setTimeout(send, 0));
    setTimeout(send, 1000);
  }

  // listener(ops): ops to apply, or null when everything must be reloaded from the store
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(ops) {
    for (const listener of this.listeners) {
      try {
        listener(ops);
      } catch (error) {
        console.error("exmc dashboard:", error);
      }
    }
  }

  dispose() {
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:title", this.onTitle);
    this.listeners.clear();
  }
}
