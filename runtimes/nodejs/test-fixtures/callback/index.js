'use strict';
// legacy Lambda callback style
exports.handler = (event, context, callback) => {
  if (event.path === '/fail') return setTimeout(() => callback(new RangeError('cb failed')), 1);
  setTimeout(() => callback(null, { via: 'callback', id: context.invocationId }), 1);
};
