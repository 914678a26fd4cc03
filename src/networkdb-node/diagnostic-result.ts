/**
 * The replies of libnetwork's diagnostic server, in both of its forms: the
 * plain text a person reads and the JSON (`?json`, `?json=pretty`) a script
 * parses. A driver script written against a Go node must read ours the
 * same, so the field names are Go's, quirks included: a peer's name is under
 * "-=name" and a network's queue length under "QueueLen" (struct tags that
 * were mistyped upstream and are now the format).
 */

/** The `details` of a reply: its text form and its JSON form. */
export interface Details {
  text(): string;
  json(): unknown;
}

export interface DiagnosticResult {
  /** "OK", "FAIL", or what was wrong with the command ("missing parameter"). */
  readonly message: string;
  readonly details: Details | null;
}

export function succeed(details: Details | null = null): DiagnosticResult {
  return { message: "OK", details };
}

export function fail(error: string): DiagnosticResult {
  return { message: "FAIL", details: { text: () => `Error: ${error}`, json: () => ({ error }) } };
}

export function wrongCommand(message: string, usage: string): DiagnosticResult {
  return { message, details: { text: () => `Usage: ${usage}`, json: () => ({ usage }) } };
}

export function info(text: string): Details {
  return { text: () => text, json: () => ({ info: text }) };
}

/** A numbered list: table entries or peers. */
export function list(elements: readonly Details[]): Details {
  return {
    text: () => `total entries: ${elements.length}\n${elements.map((e) => e.text()).join("")}`,
    // Go marshals an empty (nil) slice as null.
    json: () => ({ size: elements.length, entries: elements.length === 0 ? null : elements.map((e) => e.json()) }),
  };
}

export function peer(index: number, name: string, ip: string): Details {
  return { text: () => `${index}) ${name} -> ${ip}\n`, json: () => ({ "-=name": name, ip }) };
}

export function tableEntry(index: number, key: string, value: string, owner: string): Details {
  return {
    text: () => `${index}) k:\`${key}\` -> v:\`${value}\` owner:\`${owner}\`\n`,
    json: () => ({ key, value, owner }),
  };
}

export function networkStats(entries: number, queueLen: number): Details {
  return { text: () => `entries: ${entries}, qlen: ${queueLen}\n`, json: () => ({ entries, QueueLen: queueLen }) };
}

export type ReplyFormat = "text" | "json" | "json-pretty";

/**
 * Go's encoding/json escapes <, > and & (and the JavaScript line
 * separators) inside strings; so do we, byte for byte the same JSON.
 */
function goJson(value: unknown, pretty: boolean): string {
  return JSON.stringify(value, null, pretty ? 2 : undefined).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The body of a reply and its content type. */
export function render(result: DiagnosticResult, format: ReplyFormat): { body: string; contentType: string } {
  if (format === "text") {
    const body = result.details === null ? result.message : `${result.message}\n${result.details.text()}`;
    return { body, contentType: "text/plain; charset=utf-8" };
  }
  const body = goJson({ message: result.message, details: result.details?.json() ?? null }, format === "json-pretty");
  return { body, contentType: "application/json" };
}
