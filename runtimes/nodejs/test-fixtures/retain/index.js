'use strict';
// Keeps a weak reference to the event of every invocation but /count, and answers each in another way (a native
// promise fulfilled or rejected, a value or an exception at once, a thenable); /count collects garbage and says how
// many of those events are still alive. Not an async function: its sync paths answer while the handler runs.
const v8 = require('v8');
const vm = require('vm');

const refs = [];
exports.handler = (event) => {
  if (event.path === '/count') {
    v8.setFlagsFromString('--expose-gc');
    vm.runInNewContext('gc')();
    return { alive: refs.filter((r) => r.deref() !== undefined).length, kept: refs.length };
  }
  refs.push(new WeakRef(event));
  const answer = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'kept ' + event.path };
  switch (event.path) {
    case '/promise': return Promise.resolve(answer);
    case '/rejected': return Promise.reject(new Error('rejected on purpose'));
    case '/value': return answer;
    case '/throws': throw new Error('thrown on purpose');
    case '/thenable': return { then(ok) { setImmediate(ok, answer); } };
    default: return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'no such path' };
  }
};
