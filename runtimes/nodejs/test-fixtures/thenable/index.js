'use strict';
// handler returning a thenable that is not a native promise: it settles from a timer made at load time (outside any
// invocation), in the reverse order of the calls, as a promise library with its own scheduler might
const pending = [];
setInterval(() => {
  while (pending.length !== 0) pending.pop()();
}, 20).unref();
exports.handler = (event) => ({
  then(ok, fail) {
    pending.push(() => (event.path === '/fail' ? fail(new Error('thenable failed')) : ok({ path: event.path })));
  },
});
