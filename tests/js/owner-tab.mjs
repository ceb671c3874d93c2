// One browser tab of Open WebUI, as far as realtime goes: connects with socket.io-client the
// way the 0.12.4 frontend does (path /ws/socket.io, websocket transport, auth {token}),
// sends `user-join`, then prints every `events` payload it receives as one JSON line.
// Driven by tests/tests/realtime.rs: BASE_URL and TOKEN come from the environment; the
// first line printed is `ready <user-join ack as JSON>`; the process exits after
// EXPECT events (default 1) or after TIMEOUT_MS.
import { io } from 'socket.io-client';

const base = process.env.BASE_URL;
const token = process.env.TOKEN;
const expected = Number(process.env.EXPECT ?? '1');
const timeout = Number(process.env.TIMEOUT_MS ?? '15000');

const socket = io(base, {
  path: '/ws/socket.io',
  transports: ['websocket'],
  auth: (cb) => cb({ token }),
  reconnection: false,
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
  });
});

socket.on('events', (payload) => {
  console.log(JSON.stringify(payload));
  received += 1;
  if (received >= expected) {
    clearTimeout(timer);
    socket.close();
    process.exit(0);
  }
});

socket.on('connect_error', (error) => {
  console.log(`connect_error ${error.message}`);
  process.exit(3);
});
