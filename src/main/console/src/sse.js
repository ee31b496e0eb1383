// Server-Sent Events over fetch, so that the Authorization header can be sent (EventSource cannot set headers).
// Parses the text/event-stream format (id:, event:, data: lines; a blank line ends an event), reconnects after a
// dropped connection with Last-Event-ID so that no line is lost or repeated, and stops when the signal aborts.
import { session, ApiError } from './api.js';

/** Feeds text chunks in, gets whole events out; pure, so it can be tested without a network. */
export class EventParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
    this.lastId = '';
  }

  reset() {
    this.data = [];
    this.event = 'message';
    this.id = null;
  }

  push(chunk) {
    this.buffer += chunk;
    let nl;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const len = this.buffer[nl] === '\r' && this.buffer[nl + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(nl + len);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.id !== null) this.lastId = this.id;
      if (this.data.length) this.onEvent({ id: this.lastId, event: this.event, data: this.data.join('\n') });
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.data.push(value);
    else if (name === 'event') this.event = value;
    else if (name === 'id' && !value.includes('\0')) this.id = value;
  }
}

/**
 * Follows an event stream at path; onEvent gets each event, onState 'open' | 'retrying' | 'closed' and an error.
 * Resolves when the signal aborts or the stream cannot be had (an HTTP error that is not worth retrying).
 */
export async function follow(path, { signal, onEvent, onState = () => {}, lastEventId = '' }) {
  const parser = new EventParser(onEvent);
  parser.lastId = lastEventId;
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + session.token() };
      if (parser.lastId) headers['Last-Event-ID'] = parser.lastId;
      const res = await fetch(path, { headers, signal, cache: 'no-store' });
      if (!res.ok) {
        let error = `${res.status}`; let detail = '';
        try { const b = await res.json(); error = b.error || error; detail = b.detail || ''; } catch { /* not JSON */ }
        const e = new ApiError(res.status, error, detail);
        if (res.status < 500) { onState('closed', e); return e; }
        throw e;
      }
      onState('open');
      delay = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      parser.buffer = '';
      parser.reset();
    } catch (e) {
      if (signal.aborted) break;
      onState('retrying', e);
    }
    if (signal.aborted) break;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 15000);
  }
  onState('closed');
  return null;
}
