// One browser tab of Open WebUI, as far as realtime goes: connects with socket.io-client the
// way the 0.12.4 frontend does (path /ws/socket.io, websocket transport, auth {token}),
// sends `user-join` on every (re)connect, joins the chat room when CHAT_ID is set, and prints
// every message event sent to the owner (`events` payloads with a message_id, not the
// chat room's `shared` copies) as one JSON line.
//
// Driven by tests/tests/realtime.rs. Environment: BASE_URL, TOKEN, optional CHAT_ID,
// EXPECT (message events before exiting 0, default 1), TIMEOUT_MS (exit 2 after it).
// Lines printed: `ready <user-join ack>` after each (re)connect, `joined <join ack>` when
// CHAT_ID is set, then one JSON line per message event.
import { io } from 'socket.io-client';

const base = process.env.BASE_URL;
const token = process.env.TOKEN;
const chatId = process.env.CHAT_ID;
const expected = Number(process.env.EXPECT ?? '1');
const timeout = Number(process.env.TIMEOUT_MS ?? '30000');

// The frontend's options, with a short reconnection delay so the test stays quick.
const socket = io(base, {
  path: '/ws/socket.io',
  transports: ['websocket'],
  auth: (cb) => cb({ token }),
  reconnection: true,
  reconnectionDelay: 200,
  reconnectionDelayMax: 1000,
  randomizationFactor: 0.5,
});

let received = 0;
const timer = setTimeout(() => {
  console.log('timeout');
  socket.close();
  process.exit(2);
}, timeout);

socket.on('connect', () => {
  socket.emit('user-join', { auth: { token } }, (ack) => {
    console.log(`ready ${JSON.stringify(ack ?? null)}`);
    if (chatId) {
      socket.emit('events:chat', { chat_id: chatId, data: { type: 'join' } }, (joined) => {
        console.log(`joined ${JSON.stringify(joined ?? null)}`);
      });
    }
  });
});

socket.on('events', (payload) => {
  if (!payload || !payload.message_id || payload.shared) {
    return; // presence, and the chat room's copy of events this tab also gets as the owner
  }
  console.log(JSON.stringify(payload));
  received += 1;
  if (received >= expected) {
    clearTimeout(timer);
    socket.close();
    process.exit(0);
  }
});
