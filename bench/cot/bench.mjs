// bench/cot — delivery latency of one change to N connected CoT clients (TLS, client
// certificate) and to one SSE client, in the same run. Driven by run.sh.
//
//   node bench.mjs COT_PORT HTTP_PORT TOKEN CERT KEY N ROUNDS
//
// Each round creates a zone through the API (IL) and records, for every CoT client and the
// SSE client, the time from just before the POST until its event carrying the zone id arrived.
import fs from 'node:fs';
import tls from 'node:tls';
import http from 'node:http';

const [cotPort, httpPort, token, certFile, keyFile, nArg, roundsArg] = process.argv.slice(2);
const N = Number(nArg), ROUNDS = Number(roundsArg);
const cert = fs.readFileSync(certFile), key = fs.readFileSync(keyFile);
let waiting = null; // {id: the text to look for, t0, cot: Map(client -> ms), sse: ms|null, resolve}

function watcher(onText) {
    let tail = '';
    return (chunk) => {
        const s = tail + chunk.toString();
        onText(s);
        tail = s.slice(-128);
    };
}

function seen(s) {
    return waiting && s.includes(waiting.id);
}

function maybeDone() {
    if (waiting && waiting.cot.size === N && waiting.sse !== null) waiting.resolve();
}

async function connectCot(i) {
    return new Promise((resolve, reject) => {
        const sock = tls.connect({ host: '127.0.0.1', port: Number(cotPort), cert, key, rejectUnauthorized: false });
        sock.setNoDelay(true);
        let first = true;
        sock.on('data', watcher((s) => {
            if (first) { first = false; resolve(sock); }
            if (seen(s) && !waiting.cot.has(i)) {
                waiting.cot.set(i, performance.now() - waiting.t0);
                maybeDone();
            }
        }));
        sock.on('error', reject);
        sock.on('close', () => { if (first) reject(new Error(`client ${i} closed`)); });
    });
}

function connectSse() {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: Number(httpPort), path: '/v1/tracks/il-sy/events',
                               headers: { Authorization: `Bearer ${token}` } }, (res) => {
            res.on('data', watcher((s) => {
                if (seen(s) && waiting.sse === null) {
                    waiting.sse = performance.now() - waiting.t0;
                    maybeDone();
                }
            }));
            resolve(res);
        });
        req.on('error', reject);
    });
}

function post(i) {
    const body = JSON.stringify({ kind: 'base', name: `bench ${i}`, geometry: { type: 'Polygon',
        coordinates: [[[36 + i * 0.01, 34], [36.005 + i * 0.01, 34], [36.005 + i * 0.01, 34.005], [36 + i * 0.01, 34]]] } });
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: Number(httpPort), method: 'POST',
                                   path: '/v1/tracks/il-sy/zones',
                                   headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
            (res) => { let d = ''; res.on('data', (c) => d += c); res.on('end', () => resolve(JSON.parse(d))); });
        req.on('error', reject);
        req.end(body);
    });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]; };

const tc = performance.now();
const socks = [];
for (let i = 0; i < N; i += 50) {
    socks.push(...await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => connectCot(i + k))));
}
const sse = await connectSse();
console.log(`connected ${socks.length} CoT clients in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
await new Promise((r) => setTimeout(r, 2000)); // let the snapshots drain

const cotLat = [], sseLat = [];
for (let r = 0; r < ROUNDS; r++) {
    // The zone id is known only from the answer, so clients match the zone's name, unique to
    // the round (the CoT callsign and the SSE JSON both carry it).
    const name = `bench ${r}`;
    const done = new Promise((resolve) => { waiting = { id: name, t0: performance.now(), cot: new Map(), sse: null, resolve }; });
    const z = await post(r);
    if (!z.id) throw new Error(JSON.stringify(z));
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error(`round ${r}: ${waiting.cot.size}/${N} CoT, sse ${waiting.sse}`)), 10000));
    await Promise.race([done, timeout]);
    cotLat.push(...waiting.cot.values());
    sseLat.push(waiting.sse);
    waiting = null;
    await new Promise((r2) => setTimeout(r2, 200));
}
const f = (x) => x.toFixed(1);
console.log(`rounds ${ROUNDS}, CoT deliveries ${cotLat.length}, SSE deliveries ${sseLat.length}`);
console.log(`CoT (${N} clients): p50 ${f(pct(cotLat, 50))} ms  p99 ${f(pct(cotLat, 99))} ms  max ${f(Math.max(...cotLat))} ms`);
console.log(`SSE (1 client, same changes): p50 ${f(pct(sseLat, 50))} ms  p99 ${f(pct(sseLat, 99))} ms  max ${f(Math.max(...sseLat))} ms`);
for (const s of socks) s.destroy();
sse.destroy();
process.exit(0);
