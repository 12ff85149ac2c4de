'use strict';
// Preloaded with `node --require` by scripts/emulators.sh.
// fauxqs hard-codes listen({host: "0.0.0.0"}); this rewrites wildcard
// listen addresses to REAM_BIND_HOST (default 127.0.0.1) so the emulator is
// reachable from loopback only.
const net = require('node:net');

const bindHost = process.env.REAM_BIND_HOST || '127.0.0.1';
const wildcard = new Set(['0.0.0.0', '::', '', undefined]);
const origListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first) &&
      first.path === undefined && first.fd === undefined && first.handle === undefined &&
      first._handle === undefined) {
    if (wildcard.has(first.host)) {
      args[0] = Object.assign({}, first, { host: bindHost });
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string' || wildcard.has(args[1])) {
      if (typeof args[1] === 'string') {
        args[1] = bindHost;
      } else {
        args.splice(1, 0, bindHost);
      }
    }
  }
  return origListen.apply(this, args);
};
