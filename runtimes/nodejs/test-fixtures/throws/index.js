'use strict';
class ValidationError extends Error {}

exports.handler = async (event) => {
  if (event.path === '/sync') throw new TypeError('sync boom');
  if (event.path === '/string') throw 'just a string'; // eslint-disable-line no-throw-literal
  if (event.path === '/custom') throw new ValidationError('bad input');
  await null;
  throw new Error('async boom');
};
