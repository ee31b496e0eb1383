'use strict';
// sync handler returning a plain value (sent as JSON 200)
exports.handler = (event) => {
  if (event.path === '/undefined') return undefined;
  if (event.path === '/number') return 42;
  return 'hello ' + (event.query.name || 'world');
};
