// A TAK client driven by the end-to-end tests (tests/e2e/test_tak.py) over
// stdin/stdout, one JSON object per line. It connects with @tak-ps/node-tak
// (the real client library, TLS with a client certificate) and parses every
// event it receives with @tak-ps/node-cot; each is reported with node-cot's
// GeoJSON conversion, or as a parse error (which the tests treat as a failure).
//
//   node tests/tak/agent.mjs ssl://127.0.0.1:8089 CERT.pem KEY.pem
//
// Out: {"ev":"connected"} · {"ev":"cot","uid","type","start","stale","remarks","chat","geojson"}
//      · {"ev":"parse_error","xml","error"} · {"ev":"closed"} · {"ev":"error","message"}
// In:  {"cmd":"chat","room","text","callsign"}  a GeoChat (node-cot DirectChat) into a room
//      {"cmd":"raw","xml"}                          bytes as they are (malformed input tests)
//      {"cmd":"quit"}
import fs from 'node:fs';
import readline from 'node:readline';
import TAK from '@tak-ps/node-tak';
import CoT, { DirectChat } from '@tak-ps/node-cot';

const [url, certFile, keyFile] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const tak = new TAK('tansiq-test', 'ssl', new URL(url), {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
});
await tak.connect_ssl();
const sock = tak.client;
// node-tak only logs events it cannot parse; split the stream ourselves (with
// its own splitter) so that a parse failure is reported, not lost.
sock.removeAllListeners('data');
let buf = '';
sock.on('data', (data) => {
    buf += data.toString();
    let r = TAK.findCoT(buf);
    while (r && r.event) {
        buf = r.remainder;
        try {
            const cot = new CoT(r.event);
            const a = cot.raw.event._attributes;
            if (a.type !== 't-x-c-t-r') {
                const detail = cot.raw.event.detail || {};
                out({
                    ev: 'cot', uid: a.uid, type: a.type, start: a.start, stale: a.stale,
                    remarks: detail.remarks ? detail.remarks._text : null,
                    chat: detail.__chat ? detail.__chat._attributes : null,
                    geojson: cot.to_geojson(),
                });
            }
        } catch (e) {
            out({ ev: 'parse_error', xml: r.event, error: String(e) });
        }
        r = TAK.findCoT(buf);
    }
});
sock.on('secureConnect', () => out({ ev: 'connected' }));
sock.on('close', () => { out({ ev: 'closed' }); process.exit(0); });
sock.on('error', (e) => out({ ev: 'error', message: String(e) }));

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
    const c = JSON.parse(line);
    if (c.cmd === 'chat') {
        const chat = new DirectChat({
            to: { uid: c.room, callsign: c.room },
            from: { uid: 'ANDROID-tansiq-test', callsign: c.callsign || 'Tester' },
            chatroom: c.room,
            message: c.text,
        });
        tak.write([chat]);
    } else if (c.cmd === 'raw') {
        sock.write(c.xml);
    } else if (c.cmd === 'quit') {
        tak.destroy();
        process.exit(0);
    }
});
rl.on('close', () => { tak.destroy(); process.exit(0); });
