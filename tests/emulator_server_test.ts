/**
 * Tests of the emulators' HTTPS server (emulators/server.ts): it must not
 * slow responses down itself (the Nagle / delayed-ACK stall of Deno.serve),
 * must keep connections alive, and must add exactly the latency asked for.
 *
 * Timing checks compare against a baseline measured in the same test, with
 * the samples interleaved and medians taken, so a busy machine slows both
 * sides alike; the stall they guard against is 40 ms or more per response.
 *
 * @module
 */
import assert from "node:assert/strict";
import { caFile, html, serveTls } from "./emulators/server.ts";

const ca = Deno.readTextFileSync(caFile);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One client per protocol: its connections are reused between requests. */
function clients(): [string, Deno.HttpClient][] {
  return [
    ["HTTP/2", Deno.createHttpClient({ caCerts: [ca] })],
    ["HTTP/1.1", Deno.createHttpClient({ caCerts: [ca], http2: false })],
  ];
}

async function timedGet(
  url: string,
  client: Deno.HttpClient,
): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { client, redirect: "manual" });
  await res.text();
  return performance.now() - started;
}

Deno.test("serveTls: large HTML answers take no longer than small ones", async () => {
  const pad = (n: number) => `<p>${"x".repeat(Math.max(0, n - 7))}</p>`;
  const server = serveTls((req) =>
    html(pad(Number(new URL(req.url).searchParams.get("size"))))
  );
  try {
    for (const [protocol, client] of clients()) {
      try {
        const sizes = [100, 2_000, 20_000];
        const samples = new Map(sizes.map((size) => [size, [] as number[]]));
        // Warm up: TLS handshake, first-call compilation.
        for (const size of sizes) {
          await timedGet(`${server.url}/?size=${size}`, client);
        }
        for (let round = 0; round < 15; round++) {
          for (const size of sizes) {
            samples.get(size)!.push(
              await timedGet(`${server.url}/?size=${size}`, client),
            );
          }
        }
        const base = median(samples.get(100)!);
        for (const size of sizes.slice(1)) {
          const ms = median(samples.get(size)!);
          assert.ok(
            ms - base <= 20,
            `${protocol}: a ${size}-byte page took ${ms.toFixed(1)} ms, ` +
              `a 100-byte one ${base.toFixed(1)} ms (median of 15): ` +
              `the emulator stalls large responses again`,
          );
        }
      } finally {
        client.close();
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("serveTls: one connection serves consecutive requests", async () => {
  const server = serveTls(() => html("<p>ok</p>"));
  try {
    for (const [protocol, client] of clients()) {
      try {
        const before = server.connections();
        for (let i = 0; i < 5; i++) {
          await timedGet(`${server.url}/${i}`, client);
        }
        assert.equal(
          server.connections() - before,
          1,
          `${protocol}: 5 requests should share one connection`,
        );
      } finally {
        client.close();
      }
    }
    assert.equal(server.requests.length, 10);
  } finally {
    await server.close();
  }
});

Deno.test("serveTls: latencyMs delays every answer, by that much", async () => {
  const latencyMs = 150;
  const plain = serveTls(() => html("<p>ok</p>"));
  const slow = serveTls(() => html("<p>ok</p>"), { latencyMs });
  const [[, client]] = clients();
  try {
    await timedGet(plain.url, client);
    await timedGet(slow.url, client);
    const base: number[] = [];
    const delayed: number[] = [];
    for (let i = 0; i < 5; i++) {
      base.push(await timedGet(plain.url, client));
      delayed.push(await timedGet(slow.url, client));
    }
    for (const ms of delayed) assert.ok(ms >= latencyMs, `${ms} ms`);
    const extra = median(delayed) - median(base);
    assert.ok(
      // The upper bound catches a latency applied twice, with room for a
      // busy machine.
      extra >= latencyMs && extra <= latencyMs * 1.5,
      `latency ${latencyMs} ms added ${extra.toFixed(1)} ms`,
    );
  } finally {
    client.close();
    await Promise.all([plain.close(), slow.close()]);
  }
});

Deno.test("serveTls: close() cuts a latency wait short", async () => {
  const server = serveTls(() => html("<p>late</p>"), { latencyMs: 60_000 });
  const [[, client]] = clients();
  try {
    const answer = fetch(server.url, { client }).then(
      (res) => res.text(),
      () => "failed",
    );
    while (server.requests.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const started = performance.now();
    await server.close();
    assert.ok(performance.now() - started < 1_000, "close() waited");
    // The request in flight is answered at once (or its connection dropped).
    assert.match(await answer, /late|failed/);
  } finally {
    client.close();
  }
});

Deno.test("serveTls: headers, cookies, bodies and the request's origin", async () => {
  const server = serveTls(async (req, rec) => {
    const headers = new Headers({ "x-amzn-RequestId": "id-1" });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; Path=/");
    return html(
      `${req.method} ${new URL(req.url).origin} ${await req
        .text()} ${rec.cookie}`,
      { status: 302, headers },
    );
  });
  try {
    for (const [protocol, client] of clients()) {
      try {
        const res = await fetch(`${server.url}/p?q=1`, {
          client,
          method: "POST",
          body: "k=v",
          headers: { cookie: "c=3" },
          redirect: "manual",
        });
        assert.equal(res.status, 302, protocol);
        assert.deepEqual(res.headers.getSetCookie(), [
          "a=1; Path=/",
          "b=2; Path=/",
        ]);
        assert.equal(res.headers.get("x-amzn-requestid"), "id-1");
        assert.equal(await res.text(), `POST ${server.url} k=v c=3`);
      } finally {
        client.close();
      }
    }
    assert.deepEqual(server.requests.at(-1), {
      method: "POST",
      path: "/p",
      query: "q=1",
      cookie: "c=3",
      body: "k=v",
    });
  } finally {
    await server.close();
  }
});
