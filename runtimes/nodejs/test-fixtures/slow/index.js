'use strict';
exports.handler = async (event, context) => {
  await new Promise((r) => setTimeout(r, 20));
  console.log('slow done', event.query.n);
  return { n: event.query.n, id: context.invocationId };
};
